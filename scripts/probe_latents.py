"""How much bass pitch do the autoencoder's latents carry? A probe, not a test.

For train and test pairs of a rendered dataset and its pre-encoded latents (`bass-ld encode`), label every
latent frame with the true bass's pitch class (argmax of its CQT chroma, pooled over the frame; frames where the
bass is quieter than 30 dB under its peak are left out), then train a linear and a one-hidden-layer classifier on
three inputs, each with two frames of context on either side:

* the mix latent  - what the diffusion model is conditioned on;
* the bass latent - what it generates;
* the mix's CQT chroma - a hand-made harmonic feature, as a yardstick.

A latent space that keeps the notes lets even a small probe read the pitch class off the bass latent; the mix
latent should do about as well as the mix chroma. Prints the held-out accuracy of each (chance is about 1/12).

    .venv/bin/python scripts/probe_latents.py --data data/pairs --latents data/latents.safetensors
"""
import argparse
import numpy as np, torch

from bass_ld.harmony import bass_labels, frame_chroma   # per latent frame: the bass's CQT pitch class and sounding flag; the mix's CQT chroma

def frame_features(item:dict, lat):
    "Per latent frame: the three probe inputs, the true bass's pitch class, and whether the bass sounds."
    from bass_ld.audio import load_audio
    b, m = load_audio(item['bass']), sum(load_audio(p) for p in item['mix'])
    zm, zb = (lat.get_tensor(f"{item['id']}/{s}").float().numpy() for s in ('mix', 'bass'))
    T = zm.shape[-1]
    pc, voiced = bass_labels(b, T)
    return dict(mix_latent=zm, bass_latent=zb, mix_chroma=frame_chroma(m, T, kind='cqt')), pc, voiced

def with_context(x:np.ndarray, k:int=2) -> np.ndarray:
    "(C, T) -> (T, C * (2k + 1)): each frame with k neighbours on either side (edges repeated)."
    C, T = x.shape
    p = np.pad(x, ((0, 0), (k, k)), mode='edge')
    return np.concatenate([p[:, i:i + T] for i in range(2 * k + 1)], 0).T

def build(items, lat):
    X, Y = {}, []
    for it in items:
        feats, label, voiced = frame_features(it, lat)
        for k, v in feats.items(): X.setdefault(k, []).append(with_context(v)[voiced])
        Y.append(label[voiced])
    return {k: np.concatenate(v) for k, v in X.items()}, np.concatenate(Y)

def fit_mlp(X, y, hidden:int, epochs:int=30, seed:int=0):
    "A linear (hidden=0) or one-hidden-layer classifier of 12 pitch classes on standardised X; returns (net, mu, sd)."
    torch.manual_seed(seed)
    X, y = torch.as_tensor(X).float(), torch.as_tensor(y)
    mu, sd = X.mean(0), X.std(0) + 1e-6
    Xn, d = (X - mu) / sd, X.shape[1]
    net = torch.nn.Linear(d, 12) if hidden == 0 else torch.nn.Sequential(torch.nn.Linear(d, hidden), torch.nn.GELU(), torch.nn.Linear(hidden, 12))
    opt = torch.optim.AdamW(net.parameters(), 1e-3, weight_decay=1e-2)
    for _ in range(epochs):
        perm = torch.randperm(len(y))
        for i in range(0, len(y), 512):
            j = perm[i:i + 512]
            loss = torch.nn.functional.cross_entropy(net(Xn[j]), y[j])
            opt.zero_grad(); loss.backward(); opt.step()
    return net, mu, sd

def probe(Xtr, ytr, Xte, yte, hidden:int, epochs:int=30, seed:int=0) -> float:
    net, mu, sd = fit_mlp(Xtr, ytr, hidden, epochs, seed)
    with torch.no_grad(): return float((net((torch.tensor(Xte).float() - mu) / sd).argmax(1).numpy() == yte).mean())

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default='data/pairs'); ap.add_argument('--latents', default='data/latents.safetensors')
    ap.add_argument('--train', type=int, default=600); ap.add_argument('--test', type=int, default=150)
    ap.add_argument('--seed', type=int, default=0); ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    from safetensors import safe_open
    from bass_ld.dataset import read_manifest
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(a.seed)
    def pick(split, n):
        items = read_manifest(a.data, split)
        return [items[i] for i in rng.permutation(len(items))[:n]]
    with safe_open(a.latents, 'pt') as lat:
        tr, ytr = build(pick('train', a.train), lat)
        te, yte = build(pick('test', a.test), lat)
    print(f'{len(ytr)} train / {len(yte)} test frames; most common class {np.bincount(yte, minlength=12).max() / len(yte):.3f} of test frames')
    print('| input | linear probe | MLP probe (256) |\n|---|---|---|')
    for k in tr:
        print(f'| {k} | {probe(tr[k], ytr, te[k], yte, 0, seed=a.seed):.3f} | {probe(tr[k], ytr, te[k], yte, 256, seed=a.seed):.3f} |', flush=True)

if __name__ == '__main__':
    main()
