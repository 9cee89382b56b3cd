"""Loads a LeNet-5 that Fathom saved as safetensors into PyTorch (strict)
and prints its logits for an input, for test/pytorch-reads-fathom.test.ts:

    /usr/bin/python3 logits_from_fathom_weights.py WEIGHTS INPUT_JSON
"""
import json
import sys

import torch

from torch_models import lenet5, read_safetensors


def main(weights, input_json):
    state, metadata = read_safetensors(weights)
    model = lenet5().eval()
    model.load_state_dict(state, strict=True)
    with open(input_json) as f:
        spec = json.load(f)
    x = torch.tensor(spec['data'], dtype=torch.float32).reshape(spec['shape'])
    with torch.no_grad():
        y = model(x)
    print(json.dumps({'metadata': metadata, 'dtypes': sorted({str(t.dtype) for t in state.values()}),
                      'shape': list(y.shape), 'data': y.flatten().tolist()}))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
