# Reference trajectories for @fathom/optim, printed by PyTorch 1.13 (Debian's python3-torch):
#   /usr/bin/python3 packages/optim/test/reference/optim_ref.py > packages/optim/test/reference/optim_ref.json
# Everything is float64 so the TypeScript tests can compare at 1e-12.
import json, math, warnings
import torch
from torch.optim import SGD, Adam, AdamW, RMSprop, Adagrad
from torch.optim import lr_scheduler as S
from torch.nn.utils import clip_grad_norm_, clip_grad_value_

warnings.filterwarnings('ignore')
torch.set_default_dtype(torch.float64)
STEPS = 6
out = {'torch': torch.__version__, 'steps': STEPS}

# Two parameters, [2, 3] and [4]; the gradient of each step changes sign and
# size from step to step so momentum, amsgrad's running max and centring matter.
p0_init = [[0.5, -1.2, 2.0], [0.0, 0.3, -0.7]]
p1_init = [1.5, -0.25, 0.8, -2.0]
def grads_at(t):
    g0 = [[math.sin(0.7 * (3 * r + c) + 1.3 * t) * (1 + 0.4 * ((t + r + c) % 3)) for c in range(3)] for r in range(2)]
    g1 = [math.cos(0.5 * i - 0.9 * t) * (2.0 if (i + t) % 4 == 0 else 0.3) for i in range(4)]
    return g0, g1
out['p0'] = p0_init; out['p1'] = p1_init
out['grads'] = [grads_at(t) for t in range(STEPS)]

def trajectory(make, groups=False):
    p0 = torch.tensor(p0_init, requires_grad=True)
    p1 = torch.tensor(p1_init, requires_grad=True)
    opt = make([p0, p1])
    traj = []
    for t in range(STEPS):
        g0, g1 = out['grads'][t]
        p0.grad = torch.tensor(g0); p1.grad = torch.tensor(g1)
        opt.step()
        traj.append([p0.detach().flatten().tolist(), p1.detach().tolist()])
    return traj

cases = {
    'sgd': lambda ps: SGD(ps, lr=0.1),
    'sgd_momentum': lambda ps: SGD(ps, lr=0.1, momentum=0.9),
    'sgd_dampening': lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.5),
    'sgd_nesterov': lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    'sgd_weight_decay': lambda ps: SGD(ps, lr=0.1, momentum=0.5, weight_decay=0.1),
    'sgd_maximize': lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True),
    'adam': lambda ps: Adam(ps, lr=0.1),
    'adam_weight_decay': lambda ps: Adam(ps, lr=0.1, betas=(0.8, 0.9), weight_decay=0.1),
    'adam_amsgrad': lambda ps: Adam(ps, lr=0.1, amsgrad=True),
    'adam_maximize': lambda ps: Adam(ps, lr=0.1, weight_decay=0.1, maximize=True, eps=1e-3),
    'adamw': lambda ps: AdamW(ps, lr=0.1),
    'adamw_amsgrad': lambda ps: AdamW(ps, lr=0.1, weight_decay=0.5, amsgrad=True),
    'adamw_maximize': lambda ps: AdamW(ps, lr=0.1, maximize=True),
    'rmsprop': lambda ps: RMSprop(ps, lr=0.01),
    'rmsprop_momentum': lambda ps: RMSprop(ps, lr=0.01, momentum=0.9, alpha=0.9),
    'rmsprop_centered': lambda ps: RMSprop(ps, lr=0.01, centered=True),
    'rmsprop_all': lambda ps: RMSprop(ps, lr=0.01, centered=True, momentum=0.5, weight_decay=0.1, eps=1e-4),
    'rmsprop_maximize': lambda ps: RMSprop(ps, lr=0.01, maximize=True, weight_decay=0.1),
    'adagrad': lambda ps: Adagrad(ps, lr=0.1),
    'adagrad_all': lambda ps: Adagrad(ps, lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.1, eps=1e-6),
    'adagrad_maximize': lambda ps: Adagrad(ps, lr=0.1, maximize=True),
    # Two groups: p0 with the defaults, p1 with its own lr and momentum.
    'sgd_groups': lambda ps: SGD([{'params': [ps[0]]}, {'params': [ps[1]], 'lr': 0.01, 'momentum': 0.5}], lr=0.1, momentum=0.9),
}
out['optimizers'] = {name: trajectory(make) for name, make in cases.items()}

# Adam's state dict after 3 steps (the layout, and the values a resumed run starts from).
p0 = torch.tensor(p0_init, requires_grad=True); p1 = torch.tensor(p1_init, requires_grad=True)
opt = Adam([p0, p1], lr=0.1, amsgrad=True)
for t in range(3):
    p0.grad = torch.tensor(out['grads'][t][0]); p1.grad = torch.tensor(out['grads'][t][1]); opt.step()
sd = opt.state_dict()
out['adam_state_dict'] = {
    'state': {str(k): {key: (v.flatten().tolist() if v.dim() > 0 else v.item()) for key, v in s.items()} for k, s in sd['state'].items()},
    'param_groups': [{k: v for k, v in g.items() if k not in ('foreach', 'capturable', 'differentiable', 'fused')} for g in sd['param_groups']],
}

# ── Schedulers: get_last_lr() after construction and after each step.
def schedule(make, epochs, lrs=(0.1,), opt_cls=SGD, extra=None, **opt_kw):
    params = [torch.zeros(1, requires_grad=True) for _ in lrs]
    opt = opt_cls([{'params': [p], 'lr': lr} for p, lr in zip(params, lrs)], **opt_kw)
    sched = make(opt)
    lr, mom = [sched.get_last_lr()], []
    def momentum():
        g = opt.param_groups[0]
        return g['betas'][0] if 'betas' in g else g['momentum']
    mom.append(momentum())
    for _ in range(epochs):
        opt.step(); sched.step()
        lr.append(sched.get_last_lr()); mom.append(momentum())
    return {'lr': lr, 'momentum': mom} if extra == 'momentum' else lr

sched = {}
sched['step'] = schedule(lambda o: S.StepLR(o, step_size=3, gamma=0.5), 12, lrs=(0.1, 0.05))
sched['multi_step'] = schedule(lambda o: S.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.1), 12)
sched['exponential'] = schedule(lambda o: S.ExponentialLR(o, gamma=0.9), 12, lrs=(0.1, 1.0))
sched['cosine'] = schedule(lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001), 35)
sched['cosine_closed_form'] = [[0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * e / 10)) / 2] for e in range(36)]
sched['linear'] = schedule(lambda o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4), 8)
sched['linear_default'] = schedule(lambda o: S.LinearLR(o), 8, lrs=(0.3,))
sched['linear_decay'] = schedule(lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=5), 8)
sched['one_cycle'] = schedule(lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=20), 20, extra='momentum', momentum=0.9)
sched['one_cycle_linear_three_phase'] = schedule(
    lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=25, anneal_strategy='linear', three_phase=True, pct_start=0.4), 25, extra='momentum', momentum=0.9)
sched['one_cycle_adam'] = schedule(
    lambda o: S.OneCycleLR(o, max_lr=[0.01, 0.02], epochs=3, steps_per_epoch=4, div_factor=10, final_div_factor=100), 12, lrs=(0.1, 0.1), extra='momentum', opt_cls=Adam)
sched['sequential'] = schedule(
    lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3), S.ExponentialLR(o, gamma=0.9)], milestones=[3]), 10)
sched['sequential_cosine'] = schedule(
    lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.5, total_iters=2), S.StepLR(o, 2, 0.5), S.CosineAnnealingLR(o, T_max=4)], milestones=[2, 6]), 14)

def plateau(metrics, lrs=(0.1,), **kw):
    params = [torch.zeros(1, requires_grad=True) for _ in lrs]
    opt = SGD([{'params': [p], 'lr': lr} for p, lr in zip(params, lrs)])
    s = S.ReduceLROnPlateau(opt, **kw)
    result = []
    for m in metrics:
        s.step(m)
        result.append([g['lr'] for g in opt.param_groups])
    return result
metrics_min = [1.0, 0.9, 0.95, 0.9, 0.89995, 0.91, 0.8, 0.85, 0.86, 0.87, 0.88, 0.7, 0.75, 0.76, 0.77, 0.78, 0.79, 0.80, 0.81]
metrics_max = [m * -1 + 2 for m in metrics_min]
sched['plateau_metrics_min'] = metrics_min
sched['plateau_metrics_max'] = metrics_max
sched['plateau_min_rel'] = plateau(metrics_min, patience=2)
sched['plateau_min_rel_cooldown'] = plateau(metrics_min, lrs=(0.1, 0.02), patience=1, factor=0.5, cooldown=2, min_lr=[0.01, 0.015], threshold=0.01)
sched['plateau_max_abs'] = plateau(metrics_max, mode='max', threshold_mode='abs', threshold=0.05, patience=1, factor=0.5)
out['schedulers'] = sched

# ── Gradient clipping.
def clipped(max_norm, norm_type):
    p0 = torch.tensor(p0_init, requires_grad=True); p1 = torch.tensor(p1_init, requires_grad=True)
    p0.grad = torch.tensor(out['grads'][1][0]); p1.grad = torch.tensor(out['grads'][1][1])
    total = clip_grad_norm_([p0, p1], max_norm, norm_type)
    return {'total': total.item(), 'grads': [p0.grad.flatten().tolist(), p1.grad.tolist()]}
out['clip'] = {
    'l2': clipped(1.0, 2), 'l2_large': clipped(100.0, 2), 'l1': clipped(2.0, 1),
    'l3': clipped(0.5, 3), 'inf': clipped(0.5, math.inf),
}
p0 = torch.tensor(p0_init, requires_grad=True); p0.grad = torch.tensor(out['grads'][1][0])
clip_grad_value_([p0], 0.5)
out['clip']['value'] = p0.grad.flatten().tolist()
print(json.dumps(out))
