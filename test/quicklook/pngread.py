"""A small PNG reader (no PIL): chunks with their CRCs checked, text
chunks, palette and transparency, and the pixels unfiltered with numpy.
Used by the quicklook suite and benchmark to read what swath_quicklook()
and swath_quicklook_legend() return."""
import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_png(data):
    if data[:8] != SIGNATURE:
        raise ValueError("not a PNG: bad signature")
    pos = 8
    chunks = []
    while pos < len(data):
        if pos + 12 > len(data):
            raise ValueError("truncated chunk header")
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if len(body) != length or zlib.crc32(ctype + body) & 0xffffffff != crc:
            raise ValueError("bad chunk %r" % ctype)
        chunks.append((ctype, body))
        pos += 12 + length
        if ctype == b"IEND":
            break
    if chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise ValueError("IHDR first and IEND last")
    w, h, depth, ctype, comp, filt, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if depth != 8 or interlace != 0 or ctype not in (3, 6):
        raise ValueError("unexpected PNG kind")
    out = {"width": w, "height": h, "colour_type": ctype, "text": {}, "palette": None, "trns": None}
    idat = b""
    for t, body in chunks:
        if t == b"PLTE":
            out["palette"] = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif t == b"tRNS":
            out["trns"] = np.frombuffer(body, np.uint8)
        elif t == b"tEXt":
            k, v = body.split(b"\0", 1)
            out["text"][k.decode("latin-1")] = v.decode("latin-1")
        elif t == b"iTXt":
            k, rest = body.split(b"\0", 1)
            if rest[0] != 0:
                raise ValueError("compressed iTXt")
            _lang, _tkey, v = rest[2:].split(b"\0", 2)
            out["text"][k.decode("latin-1")] = v.decode("utf-8")
        elif t == b"IDAT":
            idat += body
    bpp = 1 if ctype == 3 else 4
    stride = w * bpp
    raw = np.frombuffer(zlib.decompress(idat), np.uint8)
    if raw.size != h * (stride + 1):
        raise ValueError("IDAT holds %d bytes, not %d" % (raw.size, h * (stride + 1)))
    raw = raw.reshape(h, stride + 1)
    pix = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.int32)
    for y in range(h):
        f = raw[y, 0]
        line = raw[y, 1:].astype(np.int32)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 255
        else:
            cur = np.zeros(stride, np.int32)
            for x in range(stride):
                a = cur[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                if f == 1:
                    p = a
                elif f == 3:
                    p = (a + b) // 2
                elif f == 4:
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                else:
                    raise ValueError("bad filter %d" % f)
                cur[x] = (line[x] + p) & 255
        pix[y] = cur
        prev = cur
    out["pixels"] = pix if ctype == 3 else pix.reshape(h, w, 4)
    return out
