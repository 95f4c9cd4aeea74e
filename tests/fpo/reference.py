"""Independent references for the fpo tests: numpy closed forms and loops, a torch NN-env round.

Written from the spec's descriptions (specs/fpo.md §2.2, §2.3, §2.5), without jaxpapers.fpo.
"""

import numpy as np

PSI, UTILITY, TAU, LAM = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 0.5]), 0.1, 0.01


def softmax(theta):
    e = np.exp(theta - theta.max())
    return e / e.sum()


def bandit_phi_star(theta):
    pi = softmax(theta)
    return (pi * PSI * UTILITY).sum() / ((pi * PSI**2).sum() + LAM)


def bandit_gradients(theta):
    """Closed-form standard PG ∇_θ J at φ*, and the steering term (dφ*/dθ)·∂J/∂φ."""
    pi = softmax(theta)
    phi = bandit_phi_star(theta)
    jac = np.diag(pi) - np.outer(pi, pi)  # dπ/dθ (symmetric)
    standard = jac @ (phi * PSI)
    numerator, denominator = (pi * PSI * UTILITY).sum(), (pi * PSI**2).sum() + LAM
    dphi = (jac @ (PSI * UTILITY) * denominator - numerator * (jac @ PSI**2)) / denominator**2
    return standard, dphi * (pi * PSI).sum()


def linear_run(mode, rounds=300, gamma=0.1, freeze_u=False):
    """The authors' linear environment with forward differences (eps 0.05), numpy."""
    d = 50
    y_star = np.zeros(d)
    y_star[:3] = 2.0

    def utility(y):
        return 10 * np.exp(-0.3 * np.sum((y - y_star) ** 2))

    rng = np.random.RandomState(0)
    w = np.zeros(d)
    w[:3] = 1.0
    w = w + rng.normal(0, 0.1, d)
    y = np.zeros(d)
    history = []
    for _ in range(rounds):
        u_now = utility(y)

        def objective(point, w=w, u_now=u_now):
            r = w @ point
            u = u_now if freeze_u else utility(point)
            pen = {"myopic": 0.0, "relaxed": (r - u) * (point @ point), "practical": point @ point}[
                mode
            ]
            return r - 0.1 * point @ point - gamma * pen

        base = objective(y)
        grad = np.array([(objective(y + 0.05 * e) - base) / 0.05 for e in np.eye(d)])
        y = y + 0.02 * grad
        w = (1 - 1e-4) * w + 0.005 * 2 * (utility(y) - w @ y) * y
        history.append(utility(y))
    return np.array(history), y, w


def torch_neural_round(theta, weights, noise, data_noise, sigma, lr, mode, gamma=0.005):
    """One round of the authors' neural-network environment in torch (float64).

    ``weights``: [(W[in, out], b[out])] * 3; ``noise``: [inner, d]; ``data_noise``: [5, d].
    Returns the new θ and the weights after one Adam step (coupled L2) on the 5 new samples.
    """
    import torch

    torch_w = [
        (
            torch.tensor(w, dtype=torch.float64, requires_grad=True),
            torch.tensor(b, dtype=torch.float64, requires_grad=True),
        )
        for w, b in weights
    ]
    params = [p for pair in torch_w for p in pair]
    y_ideal = torch.zeros(theta.size, dtype=torch.float64)
    y_ideal[:2] = 2.5

    def rm(y):
        h = y
        for i, (w, b) in enumerate(torch_w):
            h = h @ w + b
            if i < len(torch_w) - 1:
                h = torch.nn.functional.softplus(h)
        return h.squeeze(-1)

    def utility(y):
        return 10.0 * torch.exp(-0.2 * torch.sum((y - y_ideal) ** 2, dim=-1))

    th = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    for eps in noise:
        y = th + sigma * torch.tensor(eps, dtype=torch.float64)
        reward = rm(y)
        penalty = 0.0
        if mode != "myopic":
            grads = torch.autograd.grad(reward, params, create_graph=True)
            norm = sum(torch.sum(g**2) for g in grads)
            error = reward - utility(y).detach() if mode == "relaxed" else 1.0
            penalty = gamma * error * norm
        objective = reward - 0.01 * torch.sum(y**2) - penalty
        grad = torch.autograd.grad(-objective, th)[0].clamp(-1.0, 1.0)
        with torch.no_grad():
            th -= lr * grad
    optimizer = torch.optim.Adam(params, lr=1e-3, weight_decay=1e-3)
    with torch.no_grad():
        y_new = th + sigma * torch.tensor(data_noise, dtype=torch.float64)
        u_new = utility(y_new)
    loss = torch.nn.MSELoss()(rm(y_new), u_new)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return th.detach().numpy(), [(w.detach().numpy(), b.detach().numpy()) for w, b in torch_w]
