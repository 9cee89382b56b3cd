"""Saves torchvision models (random init, no download) with an input and
PyTorch's logits, for test/torchvision-weights.test.ts:

    /usr/bin/python3 torchvision_reference.py OUT_DIR resnet18 alexnet …

Writes OUT_DIR/<arch>.pth (torch.save of the state dict, as torchvision's
released files are) and OUT_DIR/<arch>.json ({ input, output }).
"""
import json
import os
import sys

import torch
import torchvision


def main(out, archs):
    for arch in archs:
        torch.manual_seed(0)
        model = getattr(torchvision.models, arch)(weights=None).eval()
        # Non-trivial BatchNorm statistics, as a trained network has.
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 1.5)
                module.num_batches_tracked.fill_(1000)
        x = torch.randn(2, 3, 64, 64)
        with torch.no_grad():
            y = model(x)
        torch.save(model.state_dict(), os.path.join(out, f'{arch}.pth'))
        with open(os.path.join(out, f'{arch}.json'), 'w') as f:
            json.dump({'input': {'shape': list(x.shape), 'data': x.flatten().tolist()},
                       'output': {'shape': list(y.shape), 'data': y.flatten().tolist()}}, f)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2:])
