"""Make scheduler/fonts/NotoSansSC-Regular.ttf: the Chinese font of the visit plan's PDF and
the report's picture (a plain machine has no CJK font; Chinese Windows has Microsoft YaHei,
which the HTML and the workbooks name first).

Run once by a maintainer, not at build time (the result is committed with its licence):

    apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb /tmp/noto
    .venv/bin/python tools/make_font.py /tmp/noto/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

From Noto Sans CJK SC (SIL Open Font License 1.1, © 2014-2021 Adobe; scheduler/fonts/OFL.txt)
it keeps: ASCII and Latin-1, general punctuation, arrows and maths signs the tool writes
(± × − … → ≤ ≥), CJK punctuation, full-width forms, and every hanzi of GB 2312 (6,763: the
characters of everyday Simplified Chinese, so a nurse's reason typed in Chinese prints), then
turns the CFF outlines into TrueType ones (quadratic: what fpdf2 and every PDF reader embed)
and names the family "Noto Sans SC". A character outside it is refused by the plan's PDF with
a message, never printed as an empty box.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

OUT = Path(__file__).resolve().parent.parent / "scheduler" / "fonts" / "NotoSansSC-Regular.ttf"
FAMILY = "Noto Sans SC"


def characters() -> set[int]:
    wanted = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    wanted |= set(range(0x2000, 0x206F)) | set(range(0x2190, 0x21FF)) | set(range(0x2200, 0x22FF))
    wanted |= set(range(0x3000, 0x303F)) | set(range(0xFF00, 0xFFEF)) | {0x25A0, 0x25CB, 0x25CF, 0x2713}
    for high in range(0xB0, 0xF8):  # GB 2312's hanzi rows (level 1: B0-D7, level 2: D8-F7)
        for low in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                wanted.add(ord(bytes((high, low)).decode("gb2312")))
    return wanted


def to_truetype(font: TTFont) -> None:
    """CFF (cubic) outlines → glyf (quadratic), as fontTools' otf2ttf snippet does."""
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    font["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attribute in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                      "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
                      "maxComponentElements"):
        setattr(maxp, attribute, 0)
    maxp.maxZones = 1
    font["post"].formatType = 2.0
    font["post"].extraNames = []
    font["post"].mapping = {}
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


def main(source: str) -> None:
    font = TTCollection(source).fonts[2]
    assert font["name"].getDebugName(1) == "Noto Sans CJK SC", "face 2 of the collection is SC"
    options = subset.Options()
    options.layout_features = ["kern"]
    options.drop_tables += ["vhea", "vmtx", "VORG", "BASE"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters())
    subsetter.subset(font)
    to_truetype(font)
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (16, 17):
            names.removeNames(nameID=record.nameID)
    names.setName(FAMILY, 1, 3, 1, 0x409)
    names.setName(FAMILY, 4, 3, 1, 0x409)
    names.setName("NotoSansSC-Regular", 6, 3, 1, 0x409)
    names.setName("Subset of Noto Sans CJK SC 2.004 (GB 2312 and Latin-1), made by visit-scheduler's "
                  "tools/make_font.py", 3, 3, 1, 0x409)
    OUT.parent.mkdir(exist_ok=True)
    font.save(OUT)
    print(f"{OUT}: {OUT.stat().st_size:,} bytes, {len(font.getGlyphOrder()):,} glyphs")


if __name__ == "__main__":
    main(sys.argv[1])
