"""Built-in protocol files shipped inside the package."""
