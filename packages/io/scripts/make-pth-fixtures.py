#!/usr/bin/python3
"""Writes the PyTorch fixtures that packages/io/test/pth*.test.ts read.

Run with Debian's python3 and python3-torch (PyTorch 1.13):

    /usr/bin/python3 packages/io/scripts/make-pth-fixtures.py [--out DIR]

For each fixture it writes `<file>.json` beside it: what PyTorch itself says
the file holds (tensors as dtype, shape and flat values, as Fathom loads
them), or, for a file the reader must refuse, fragments of the error message.
Tensors' expected values come from PyTorch, never from the reader under test.
"""
import argparse
import collections
import io
import json
import math
import os
import pickle
import struct
import zipfile

import torch
from torch import nn

FIXED_TIME = (1980, 1, 1, 0, 0, 0)

# What Fathom loads each PyTorch dtype as.
FATHOM_DTYPE = {
    torch.float32: 'float32', torch.float64: 'float64', torch.float16: 'float32', torch.bfloat16: 'float32',
    torch.int64: 'int32', torch.int32: 'int32', torch.int16: 'int32', torch.int8: 'int32', torch.uint8: 'int32',
    torch.bool: 'bool',
}


def encode_float(x):
    if math.isnan(x):
        return 'nan'
    if math.isinf(x):
        return 'inf' if x > 0 else '-inf'
    return x


def encode(value):
    """The JSON form the tests compare a loaded value with."""
    if isinstance(value, torch.Tensor):
        flat = value.detach().reshape(-1)
        if value.dtype in (torch.float16, torch.bfloat16):
            flat = flat.float()
        values = flat.tolist()
        if value.dtype.is_floating_point:
            values = [encode_float(v) for v in values]
        return {'__tensor__': {'dtype': FATHOM_DTYPE[value.dtype], 'torch_dtype': str(value.dtype).replace('torch.', ''),
                               'shape': list(value.shape), 'values': values}}
    if isinstance(value, (torch.device, torch.dtype)):
        return str(value).replace('torch.', '')
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2 ** 53 else {'__int__': str(value)}
    if isinstance(value, float):
        x = encode_float(value)
        return x if isinstance(x, float) else {'__float__': x}
    if isinstance(value, bytes):
        return {'__bytes__': list(value)}
    if isinstance(value, (list, tuple)):  # torch.Size is a tuple
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {'__dict__': [[str(k), encode(v)] for k, v in value.items()]}
    raise TypeError(f'cannot encode {type(value)}')


def write_json(out, name, payload):
    with open(os.path.join(out, name + '.json'), 'w') as f:
        json.dump(payload, f, indent=1, allow_nan=False)
        f.write('\n')


def save(out, name, value, **kwargs):
    torch.save(value, os.path.join(out, name), **kwargs)
    write_json(out, name, {'value': encode(value)})


def expect_error(out, name, fragments):
    write_json(out, name, {'error': fragments})


def stored_zip(path, records):
    """A zip of stored records with fixed timestamps, laid out as torch.save lays out its archive."""
    with zipfile.ZipFile(path, 'w', compression=zipfile.ZIP_STORED) as z:
        for name, data in records:
            z.writestr(zipfile.ZipInfo(name, date_time=FIXED_TIME), data)


def records_of(path):
    with zipfile.ZipFile(path) as z:
        return [(info.filename, z.read(info.filename)) for info in z.infolist()]


def write_zip64(path, records):
    """A zip whose sizes, offsets and counts all sit in zip64 fields (what torch writes past 4 GiB), however small."""
    body = bytearray()
    central = bytearray()
    for name, data in records:
        name_bytes = name.encode()
        crc = zipfile.crc32(data)
        offset = len(body)
        local_extra = struct.pack('<HHQQ', 1, 16, len(data), len(data))
        body += struct.pack('<IHHHHHIIIHH', 0x04034b50, 45, 0, 0, 0, 0x21, crc, 0xffffffff, 0xffffffff, len(name_bytes), len(local_extra))
        body += name_bytes + local_extra + data
        central_extra = struct.pack('<HHQQQ', 1, 24, len(data), len(data), offset)
        central += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 45, 45, 0, 0, 0, 0x21, crc, 0xffffffff, 0xffffffff,
                               len(name_bytes), len(central_extra), 0, 0, 0, 0, 0xffffffff)
        central += name_bytes + central_extra
    cd_offset = len(body)
    zip64_end_offset = cd_offset + len(central)
    zip64_end = struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, len(records), len(records), len(central), cd_offset)
    locator = struct.pack('<IIQI', 0x07064b50, 0, zip64_end_offset, 1)
    end = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff, 0xffffffff, 0)
    with open(path, 'wb') as f:
        f.write(bytes(body + central + zip64_end + locator + end))
    with zipfile.ZipFile(path) as z:  # Python's own reader must agree it is a valid zip64 archive
        assert z.testzip() is None
        assert [(i.filename, z.read(i.filename)) for i in z.infolist()] == list(records)


def element_sizes(pickle_bytes):
    """Storage key -> element size, read the way torch.load reads the persistent ids."""
    sizes = {}

    class Reader(pickle.Unpickler):
        def persistent_load(self, pid):
            _, storage_type, key, _, numel = pid
            size = torch.tensor([], dtype=storage_type(0).dtype).element_size()
            sizes[key] = size
            return storage_type(numel)

    Reader(io.BytesIO(pickle_bytes)).load()
    return sizes


def dtypes(out):
    g = torch.Generator().manual_seed(0)
    base = torch.arange(12.0).reshape(3, 4)
    weight = nn.Parameter(torch.randn(2, 2, generator=g))
    frozen = nn.Parameter(torch.randn(3, generator=g), requires_grad=False)
    state = collections.OrderedDict([
        ('f32', torch.randn(2, 3, generator=g)),
        ('f32_special', torch.tensor([0.0, -0.0, math.inf, -math.inf, math.nan, 1e-45, 3.4e38, -1.5])),
        ('f64', torch.randn(3, generator=g, dtype=torch.float64)),
        ('i64', torch.tensor([-2 ** 31, 2 ** 31 - 1, 0, -5, 7])),
        ('i32', torch.tensor([[-2 ** 31, 2 ** 31 - 1], [1, -1]], dtype=torch.int32)),
        ('i16', torch.tensor([-32768, 32767, -1], dtype=torch.int16)),
        ('i8', torch.tensor([-128, 127, 0], dtype=torch.int8)),
        ('u8', torch.tensor([0, 1, 128, 255], dtype=torch.uint8)),
        ('bool', torch.tensor([[True, False, True], [False, False, True]])),
        ('f16', torch.tensor([1 / 3, 65504.0, 6e-8, -0.0, math.inf, -math.inf, math.nan, -2.5], dtype=torch.float16)),
        ('bf16', torch.cat([torch.randn(4, generator=g), torch.tensor([math.inf, 1e38, -3.0])]).to(torch.bfloat16)),
        ('scalar', torch.tensor(3.5)),
        ('scalar_long', torch.tensor(7)),
        ('empty', torch.empty(0)),
        ('empty_2d', torch.zeros(2, 0, 3)),
        # Views of one storage, saved once: transposed, sliced at an offset, strided, a row, expanded.
        ('view.base', base),
        ('view.t', base.t()),
        ('view.slice', base[1:, 1:3]),
        ('view.row', base[2]),
        ('view.column', base[:, 1]),
        ('view.step', base.view(-1)[1::3]),
        ('view.expanded', base[0, :2].expand(3, 2)),
        ('param.weight', weight),
        ('param.frozen', frozen),
    ])
    assert state['view.t'].storage().data_ptr() == base.storage().data_ptr()
    save(out, 'dtypes.pt', state)
    return state


def values(out):
    tied = torch.tensor([1.0, 2.0])
    shared = [1, 2]
    value = {
        'text': 'héllo ✓',
        'empty_text': '',
        'int': 42,
        'negative': -7,
        'int32_edge': -2 ** 31,
        'large': 2 ** 40,
        'max_safe': 2 ** 53,
        'huge': 2 ** 70,
        'huge_negative': -2 ** 63,
        'float': 0.1,
        'float_int': 2.0,
        'inf': math.inf,
        'none': None,
        'true': True,
        'false': False,
        'list': [1, 'two', 3.0, None],
        'tuple': (1, (2, 3), []),
        'nested': {'a': {'b': {'c': [{'d': 1}]}}},
        'size': torch.Size([2, 3]),
        'bytes': b'\x00\xffabc',
        'int_keys': {0: 'zero', 1: 'one', 10: 'ten'},
        '__proto__': {'polluted': True},
        'constructor': 'not a function',
        'devices': [torch.device('cpu'), torch.device('cuda', 0), torch.device('cuda')],
        'dtypes': [torch.float16, torch.bfloat16, torch.long],
        'shared_a': shared,
        'shared_b': shared,
        'tied_a': tied,
        'tied_b': tied,
    }
    save(out, 'values.pt', value)
    # The same values in protocols 4 and 5: FRAME, MEMOIZE, STACK_GLOBAL, SHORT_BINUNICODE, BINBYTES.
    save(out, 'values-protocol4.pt', value, pickle_protocol=4)
    save(out, 'values-protocol5.pt', value, pickle_protocol=5)


def checkpoint(out):
    """What pytorch/examples imagenet/main.py saves, for a tiny model after one SGD step with momentum."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    loss = nn.functional.cross_entropy(model(torch.randn(4, 1, 4, 4)), torch.tensor([0, 1, 2, 1]))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    save(out, 'checkpoint.pth.tar', {
        'epoch': 1,
        'arch': 'tiny',
        'state_dict': model.state_dict(),
        'best_acc1': torch.tensor(12.5),
        'optimizer': optimizer.state_dict(),
        'scheduler': scheduler.state_dict(),
    })


def rewritten(out):
    """The same small state dict in the archive shapes torch.save does not write by default."""
    g = torch.Generator().manual_seed(1)
    state = collections.OrderedDict([
        ('f32', torch.randn(2, 3, generator=g)),
        ('f64', torch.randn(3, generator=g, dtype=torch.float64)),
        ('i64', torch.tensor([-2 ** 31, 5, 2 ** 31 - 1])),
        ('i32', torch.tensor([-3, 4], dtype=torch.int32)),
        ('i16', torch.tensor([-300, 300], dtype=torch.int16)),
        ('f16', torch.tensor([0.5, -65504.0, 1e-7], dtype=torch.float16)),
        ('bf16', torch.tensor([1.5, -2.0e30], dtype=torch.bfloat16)),
        ('u8', torch.tensor([7, 200], dtype=torch.uint8)),
        ('bool', torch.tensor([True, False])),
        ('t', torch.arange(6.0).reshape(2, 3).t()),
    ])
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as z:
        records = [(info.filename, z.read(info.filename)) for info in z.infolist()]
    expected = {'value': encode(state)}

    write_zip64(os.path.join(out, 'zip64.pt'), records)
    write_json(out, 'zip64.pt', expected)

    with zipfile.ZipFile(os.path.join(out, 'deflated.pt'), 'w', compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in records:
            z.writestr(zipfile.ZipInfo(name, date_time=FIXED_TIME), data, compress_type=zipfile.ZIP_DEFLATED)
    write_json(out, 'deflated.pt', expected)

    # As PyTorch >= 2.1 writes on a big-endian machine: a byteorder record, storages byte-swapped.
    sizes = element_sizes(dict(records)['archive/data.pkl'])
    swapped = []
    for name, data in records:
        key = name[len('archive/data/'):] if name.startswith('archive/data/') else None
        if key is not None:
            n = sizes[key]
            data = b''.join(data[i:i + n][::-1] for i in range(0, len(data), n))
        swapped.append((name, data))
    swapped.insert(1, ('archive/byteorder', b'big'))
    stored_zip(os.path.join(out, 'big-endian.pt'), swapped)
    write_json(out, 'big-endian.pt', expected)


def refused(out):
    """Files the reader must refuse, each with fragments its error message must contain."""
    version = ('archive/version', b'3\n')
    # GLOBAL 'os system', called with ('echo pwned',): protocol 2, as torch.save writes.
    os_system = b'\x80\x02cos\nsystem\nq\x00X\x0a\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.'
    stored_zip(os.path.join(out, 'os-system.pt'), [('archive/data.pkl', os_system), version])
    expect_error(out, 'os-system.pt', ["global 'os.system' is not allowed"])

    # builtins.eval through STACK_GLOBAL (protocol 4), inside an ordinary-looking state dict.
    class Eval:
        def __reduce__(self):
            return (eval, ("__import__('os').system('echo pwned')",))

    eval_pickle = pickle.dumps(collections.OrderedDict([('weight', 1.0), ('bias', Eval())]), protocol=4)
    assert b'builtins' in eval_pickle and b'eval' in eval_pickle
    stored_zip(os.path.join(out, 'builtins-eval.pt'), [('archive/data.pkl', eval_pickle), version])
    expect_error(out, 'builtins-eval.pt', ["global 'builtins.eval' is not allowed"])

    torch.save({'weight': torch.ones(2)}, os.path.join(out, 'legacy.pt'), _use_new_zipfile_serialization=False)
    expect_error(out, 'legacy.pt', ['legacy (pre-1.6)', 'torch.save'])

    torch.save({'inner': {'ids': torch.tensor([1, 2 ** 40, 3])}}, os.path.join(out, 'int64-overflow.pt'))
    expect_error(out, 'int64-overflow.pt', ["tensor 'inner.ids'", '1099511627776', 'outside int32'])

    torch.save({'z': torch.zeros(2, dtype=torch.complex64)}, os.path.join(out, 'complex.pt'))
    expect_error(out, 'complex.pt', ['complex64', 'torch.ComplexFloatStorage'])

    torch.save({'q': torch.quantize_per_tensor(torch.ones(2), 0.1, 0, torch.quint8)}, os.path.join(out, 'quantized.pt'))
    expect_error(out, 'quantized.pt', ['quantized'])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument('--out', default=os.path.join(here, '..', 'test', 'fixtures', 'pth'))
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    dtypes(out)
    values(out)
    checkpoint(out)
    rewritten(out)
    refused(out)
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print(f'wrote {len(os.listdir(out))} files ({total} bytes) to {out}')


if __name__ == '__main__':
    main()
