"""UTF-8 arriving in chunks: a character cut at a chunk boundary is carried
over to the next chunk instead of being decoded as two replacement marks.

(The renderer and the input reassembler both need this, and both are pickled
mid-stream by the indexer, which is why they keep the carried bytes themselves
rather than a codecs incremental decoder.)
"""


def split_incomplete_tail(data: bytes):
    """(complete, carry): `data` without a trailing, unfinished UTF-8 sequence,
    and that sequence (b"" when there is none)."""
    if not data or data[-1] < 0x80:
        return data, b""
    end = len(data)
    i = end - 1
    while i > end - 4 and i > 0 and 0x80 <= data[i] < 0xC0:
        i -= 1
    lead = data[i]
    need = 2 if 0xC0 <= lead < 0xE0 else 3 if 0xE0 <= lead < 0xF0 else 4 if 0xF0 <= lead < 0xF8 else 0
    if end - i < need:
        return data[:i], data[i:]
    return data, b""


def decode_chunk(carry: bytes, data: bytes):
    """(text, new carry) for the next chunk of a UTF-8 stream."""
    complete, carry = split_incomplete_tail(carry + data if carry else data)
    return complete.decode("utf-8", "replace"), carry
