"""The build compiles the gettext catalogs: a wheel carries the .mo files beside their .po.

Everything else about the package is in setup.cfg; this file only adds that step.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for source in Path("scheduler/locale").glob("*/LC_MESSAGES/*.po"):
            target = Path(self.build_lib) / source.with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with source.open("rb") as file:
                catalog = read_po(file)
            with target.open("wb") as file:
                write_mo(file, catalog, use_fuzzy=False)


setup(cmdclass={"build_py": BuildWithCatalogs})
