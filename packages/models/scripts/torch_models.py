"""PyTorch twins of Fathom models, shared by the fixture and check scripts.

Debian's python3-torch and python3-torchvision (1.13 / 0.14); never a
runtime dependency of Fathom.
"""
import json
import struct

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock


def lenet5(num_classes=10):
    """@fathom/models' LeNet5: features / classifier as in its doc comment."""
    model = nn.Module()
    model.features = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
    model.classifier = nn.Sequential(
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes))
    model.forward = lambda x: model.classifier(torch.flatten(model.features(x), 1))
    return model


def narrow_resnet():
    """torchvision's BasicBlock at 8 and 16 planes: the ResNet code path (downsample, BatchNorm) in a few KB."""
    downsample = nn.Sequential(nn.Conv2d(8, 16, 1, stride=2, bias=False), nn.BatchNorm2d(16))
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        BasicBlock(8, 8), BasicBlock(8, 16, stride=2, downsample=downsample),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))


def bidirectional_lstm():
    return nn.LSTM(5, 7, num_layers=2, bidirectional=True, batch_first=True)


def write_safetensors(path, tensors, metadata=None):
    """The safetensors format written from its spec (Debian has no python3-safetensors):
    8-byte little-endian header length, JSON header padded with spaces to 8 bytes,
    tensors ordered by element size (largest first) then name, back to back."""
    names = {torch.float64: 'F64', torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16',
             torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8', torch.bool: 'BOOL'}
    order = sorted(tensors.items(), key=lambda item: (-item[1].element_size(), item[0]))
    header = {'__metadata__': metadata} if metadata else {}
    blobs, offset = [], 0
    for name, tensor in order:
        tensor = tensor.detach().contiguous()
        data = tensor.reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b''
        header[name] = {'dtype': names[tensor.dtype], 'shape': list(tensor.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))


def read_safetensors(path):
    """The reader twin of write_safetensors: a dict of tensors and the metadata."""
    with open(path, 'rb') as f:
        data = f.read()
    (length,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + length])
    dtypes = {'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16,
              'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8, 'BOOL': torch.bool}
    metadata = header.pop('__metadata__', {})
    out = {}
    for name, entry in header.items():
        begin, end = entry['data_offsets']
        raw = bytearray(data[8 + length + begin:8 + length + end])
        flat = torch.frombuffer(raw, dtype=dtypes[entry['dtype']]) if raw else torch.empty(0, dtype=dtypes[entry['dtype']])
        out[name] = flat.reshape(entry['shape'])
    return out, metadata
