#!/usr/bin/env bash
# Reproduces assets/fonts/NotoSansSC-subset.otf (documentation: CI never runs this).
#
# Requirements: Debian package fonts-noto-cjk (1:20220127+repack1-1 was used),
#               fonttools (pip install fonttools; 4.68.0 was used), python3.
# Usage (from the repository root):  bash assets/fonts/make_subset.sh
# Environment overrides:
#   SRC_TTC   the Noto Sans CJK Regular collection   (default: Debian's path below)
#   FACE      face index inside the collection       (default 2 = "Noto Sans CJK SC")
#   DATA_DIRS directories searched for units.csv / plan_targets.csv
#   RS_DIRS   directories whose *.rs files are scanned for non-ASCII characters
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SRC_TTC="${SRC_TTC:-/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc}"
FACE="${FACE:-2}"
DATA_DIRS="${DATA_DIRS:-$ROOT/data}"
RS_DIRS="${RS_DIRS:-$ROOT/src}"
OUT="$HERE/NotoSansSC-subset.otf"
CHARS="$(mktemp)"
trap 'rm -f "$CHARS"' EXIT

# Refuse to subset the wrong face: index 2 must be the Simplified Chinese one.
python3 - "$SRC_TTC" "$FACE" <<'PY'
import sys
from fontTools.ttLib import TTCollection
name = TTCollection(sys.argv[1], lazy=True).fonts[int(sys.argv[2])]["name"].getDebugName(1)
assert name == "Noto Sans CJK SC", f"face {sys.argv[2]} is {name!r}, not Noto Sans CJK SC"
PY

# Build the character list (one UTF-8 text file, sorted, deterministic).
python3 - "$CHARS" "$DATA_DIRS" "$RS_DIRS" <<'PY'
import os, sys
out, data_dirs, rs_dirs = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
cs = set()
def rng(a, b):
    cs.update(chr(c) for c in range(a, b + 1))
rng(0x20, 0x7E)            # printable ASCII
rng(0xA0, 0xFF)            # Latin-1: punctuation, signs (° ± ² ³ · « ») and letters
rng(0x2010, 0x2027)        # general punctuation: ‐ – — ‘ ’ “ ” • … ·
rng(0x2030, 0x203B)        # ‰ ′ ″ ‹ › ※
rng(0x2070, 0x2079); cs.update("⁺⁻")   # superscripts (10⁴, m²)
rng(0x2190, 0x2199)        # arrows ← ↑ → ↓ ↔ ↕ ↖ ...
cs.update("≥≤±×÷≈∝°‰−∞√∑∆Δ≠∼～%％℃")
cs.update("✓✔✗✘★☆●○■□▲△▼▽◆◇")
rng(0x3000, 0x303F)        # CJK symbols and punctuation 、。〈〉《》「」【】〔〕
rng(0xFF01, 0xFF5E)        # full-width ASCII forms （）！？％～
rng(0xFFE0, 0xFFE6)        # full-width ￥ ￡ ...
# GB2312 rows 1..9 (symbols, full-width forms, pinyin, Greek, Cyrillic, box
# drawing) and all hanzi: level 1 (rows 16..55, 3,755 common characters) and
# level 2 (rows 56..87, 3,008 rarer ones, e.g. place-name characters).
for row in list(range(1, 10)) + list(range(16, 88)):
    for col in range(1, 95):
        try:
            cs.add(bytes([row + 0xA0, col + 0xA0]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
# Every character of the data files and of the Rust sources (chart labels).
for d in data_dirs:
    for f in ("units.csv", "plan_targets.csv"):
        p = os.path.join(d, f)
        if os.path.exists(p):
            cs.update(open(p, encoding="utf-8").read())
for d in rs_dirs:
    for dp, _, fs in os.walk(d):
        for f in sorted(fs):
            if f.endswith(".rs"):
                cs.update(c for c in open(os.path.join(dp, f), encoding="utf-8").read() if ord(c) > 0x7F)
cs = sorted(c for c in cs if ord(c) >= 0x20 and c not in "\u2028\u2029")
open(out, "w", encoding="utf-8").write("".join(cs))
print(f"{len(cs)} characters requested", file=sys.stderr)
PY

# Subset: CFF outlines kept (smaller than TrueType for CJK), hinting and
# layout features dropped (plotters' ab_glyph renderer uses neither), only
# the name records needed to identify the font.
pyftsubset "$SRC_TTC" --font-number="$FACE" --text-file="$CHARS" \
  --output-file="$OUT" --no-hinting \
  --layout-features='' --name-IDs='0,1,2,3,4,5,6,7,8,9,11,12,13,14' \
  --notdef-outline --drop-tables+=DSIG,VORG,vhea,vmtx

# plotters draws PNG text with ab_glyph, which scales a font so that
# (ascender - descender) = the requested size; its SVG backend writes
# font-size = size / 1.24 (one em).  Noto's hhea metrics (1160 / -288, sum
# 1448) would make PNG text 14 % smaller than SVG text; 952 / -288 (sum 1240)
# makes both backends agree.  Only the hhea line metrics change, no outline.
python3 - "$OUT" <<'PY'
import sys
from fontTools.ttLib import TTFont
f = TTFont(sys.argv[1], recalcTimestamp=False)  # keep the file reproducible
f["hhea"].ascent, f["hhea"].descent = 952, -288
f.save(sys.argv[1])
print(f"{sys.argv[1]}: {len(f.getGlyphOrder())} glyphs, {len(f.getBestCmap())} code points", file=sys.stderr)
PY
ls -l "$OUT"
