"""Writes packages/models/test/fixtures/torch/: weights of three small models
saved by PyTorch (torch.save .pth and safetensors), an input for each, and
PyTorch's outputs, for test/torch-weights.test.ts.

    /usr/bin/python3 packages/models/scripts/make_torch_fixtures.py
"""
import json
import os

import torch

from torch_models import bidirectional_lstm, lenet5, narrow_resnet, write_safetensors

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'torch')


def save(name, model, inputs, safetensors=True):
    state = model.state_dict()
    torch.save(state, os.path.join(OUT, f'{name}.pth'))
    if safetensors:
        write_safetensors(os.path.join(OUT, f'{name}.safetensors'), state, {'format': 'pt'})
    with torch.no_grad():
        out = model(inputs)
    outputs = {'output': out} if torch.is_tensor(out) else {'output': out[0], 'h_n': out[1][0], 'c_n': out[1][1]}
    record = {'input': {'shape': list(inputs.shape), 'data': inputs.flatten().tolist()}}
    record.update({k: {'shape': list(v.shape), 'data': v.flatten().tolist()} for k, v in outputs.items()})
    with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
        json.dump(record, f)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    # LeNet-5 is the largest (250 KB): .pth only; the others cover safetensors.
    save('lenet5', lenet5().eval(), torch.randn(2, 1, 28, 28), safetensors=False)

    resnet = narrow_resnet()
    # A few training-mode passes give BatchNorm running statistics other than 0 and 1.
    with torch.no_grad():
        for _ in range(3):
            resnet(torch.randn(4, 3, 16, 16) * 2 + 0.5)
    save('narrow_resnet', resnet.eval(), torch.randn(2, 3, 16, 16))

    save('bilstm', bidirectional_lstm().eval(), torch.randn(2, 4, 5))


if __name__ == '__main__':
    main()
