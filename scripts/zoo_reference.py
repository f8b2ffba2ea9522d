#!/usr/bin/python3
"""PyTorch's side of test/zoo_torchvision.test.ts: torchvision models with seeded random weights,
their state_dicts and their outputs on one random input, for webcnn's zoo to match.

    /usr/bin/python3 scripts/zoo_reference.py OUT_DIR SIZE NAME [NAME ...]

For each NAME (a torchvision.models constructor, 1000 classes), writes
  OUT_DIR/NAME.safetensors     the state_dict as F32 (what webcnn's loadWeights reads); batch
                               norm's integer `num_batches_tracked` counters are left out (they
                               only matter to training with momentum=None) and listed in the
                               metadata `dropped`, with `num_params`, PyTorch's parameters() count
  OUT_DIR/NAME.io.safetensors  `input` (1, 3, SIZE, SIZE) uniform in [-1, 1) and `output`, the
                               model's output in eval mode
Batch norms get random affine parameters and running statistics (fresh ones are the identity,
which would leave their epsilon and their folding into convolutions untested); every other
weight is torchvision's own seeded initialisation. Needs Debian's python3-torch and
python3-torchvision (no safetensors package: the format is written here, it is small).
"""
import json
import struct
import sys

import torch
import torchvision


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def randomize_batch_norms(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)


def build(name):
    return getattr(torchvision.models, name)()


def main():
    out_dir, size, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    for i, name in enumerate(names):
        torch.manual_seed(1000 + i)
        model = build(name)
        randomize_batch_norms(model)
        model.eval()
        state = model.state_dict()
        kept = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
        dropped = [k for k in state if k not in kept]
        num_params = sum(p.numel() for p in model.parameters())
        write_safetensors(f"{out_dir}/{name}.safetensors", kept, {"dropped": json.dumps(dropped), "num_params": str(num_params)})
        x = torch.rand(1, 3, size, size) * 2 - 1
        with torch.no_grad():
            y = model(x)
        write_safetensors(f"{out_dir}/{name}.io.safetensors", {"input": x, "output": y}, {})


if __name__ == "__main__":
    main()
