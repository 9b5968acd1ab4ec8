#!/usr/bin/python3
"""Decodes a PNG (8-bit greyscale, RGB or RGBA, not interlaced: what Chromium writes) with zlib
alone and prints facts about its pixels, so tests can tell a rendered page from a blank one.

Usage: png_stats.py IMAGE.png [#rrggbb ...]
Prints one JSON object: {"width", "height", "distinct_colours", "non_white_fraction",
"colour_pixels": {"#rrggbb": count, ...}} (alpha is ignored).
"""
import json
import struct
import sys
import zlib


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    channels = {0: 1, 2: 3, 6: 4, 4: 2}.get(colour_type)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour_type}")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 255
            elif kind == 4:
                line[i] = (line[i] + paeth(left, up, up_left)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def main():
    width, height, channels, rows = decode(sys.argv[1])
    counts = {}
    for line in rows:
        for x in range(0, len(line), channels):
            if channels >= 3:
                key = line[x:x + 3]
            else:
                key = bytes([line[x]] * 3)
            counts[key] = counts.get(key, 0) + 1
    wanted = {}
    for colour in sys.argv[2:]:
        key = bytes.fromhex(colour.lstrip("#"))
        wanted[colour] = counts.get(key, 0)
    white = counts.get(b"\xff\xff\xff", 0)
    print(json.dumps({"width": width, "height": height, "distinct_colours": len(counts),
                      "non_white_fraction": 1 - white / (width * height),
                      "colour_pixels": wanted}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
