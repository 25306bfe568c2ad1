"""Pilot (issue 19 item 6): a note codec whose timbre channels are encoded from ANOTHER crop of the same stem, so they
cannot carry the target crop's pitch; the decoder must take pitch from the note channels. Same recipe and budget as
the shipped codec (4,000 steps, batch 8, 12-frame crops, from the shipped autoencoder).

A pilot, not a recipe: it swaps the crops, the forward pass and the loss of `bass_ld.note_codec` in this process and
trains through the library's own `train_note_codec`. Measured with `scripts/codec_ground_measure.py`; the results are
in nbs/results/codec_timbre_pilot.json (negative: see 13_results).

    python scripts/codec_timbre_pilot.py RUN_DIR 4000 [DATA]          # DATA: a `bass-ld dataset` folder (data/pairs)
    python scripts/codec_timbre_pilot.py --valid RUN_DIR [DATA]       # valid losses of the shipped codec and RUN_DIR
"""
import sys, numpy as np, torch, torch.nn.functional as F
import bass_ld.note_codec as nc
from bass_ld.autoencoder import stft_frames

def crop2(self, i, rng):
    from bass_ld.audio import load_audio
    n, T = self.notes[i], self.notes[i].shape[-1]
    hi = max(T - self.frames, 0)
    s = int(rng.integers(0, hi + 1))
    far = [k for k in range(hi + 1) if abs(k - s) >= self.frames]
    s2 = int(rng.choice(far)) if far else int(rng.integers(0, hi + 1))
    g = 10 ** (rng.uniform(*self.gain_db) / 20)
    def audio(o):
        x = load_audio(self.items[i]['bass'], self.sr, offset=o * self.stride / self.sr,
                       duration=self.frames * self.stride / self.sr)[:self.frames * self.stride]
        return F.pad(x, (0, self.frames * self.stride - len(x))) * g
    c = n[:, s:s + self.frames]
    return torch.stack([audio(s), audio(s2)]), F.pad(c, (0, self.frames - c.shape[-1]))

def call(self, epoch):
    rng = np.random.default_rng([self.seed, epoch])
    order = rng.permutation(len(self.items))
    if len(order) < self.batch: order = np.resize(order, self.batch)
    for k in range(0, len(order) - self.batch + 1, self.batch):
        xs, ns = zip(*(self.crop(int(i), rng) for i in order[k:k + self.batch]))
        x = torch.stack(xs)
        yield dict(audio=x[:, 0], timbre_audio=x[:, 1], notes=torch.stack(ns))

def forward(self, x, notes, x_timbre=None):
    S = stft_frames(x.float(), self.ae.cfg.n_fft, self.ae.cfg.hop)
    c = self.ae._coefs(S.abs())
    src = c if x_timbre is None else self.ae._coefs(stft_frames(x_timbre.float(), self.ae.cfg.n_fft, self.ae.cfg.hop).abs())
    r = torch.tanh(self.squeeze(self.ae.encoder(src)))
    if self.training and self.cfg.noise: r = r + self.cfg.noise * torch.randn_like(r)
    c_hat = self.ae.decoder(self._expand(r, notes.to(r.dtype))).float()
    return dict(c=c, c_hat=c_hat, R=S.abs() ** self.ae.cfg.power, R_hat=self.ae._compressed(c_hat))

def loss(model, batch):
    o = model(batch['audio'], batch['notes'], batch.get('timbre_audio'))
    spec, coef = F.l1_loss(o['R_hat'], o['R']), F.mse_loss(o['c_hat'], o['c'])
    return dict(loss=10 * spec + coef, spec=spec, coef=coef)

@torch.no_grad()
def measure(self, m):
    m.eval()
    a, n = self.audio.to(m.device), self.notes.to(m.device)
    x, xt = a[:, 0], a[:, 1]
    own = float(loss(m, dict(audio=x, timbre_audio=xt, notes=n))['loss'])
    same = float(loss(m, dict(audio=x, notes=n))['loss'])
    other = float(loss(m, dict(audio=x, notes=n.roll(1, 0)))['loss'])
    return dict(loss=own, loss_same_crop_timbre=same, loss_other_notes=other)

nc.CodecCheck.measure = measure
nc.NoteCrops.crop, nc.NoteCrops.__call__, nc.NoteCodec.forward, nc.codec_loss = crop2, call, forward, loss
def valid_losses(run, data):
    "Both codecs on the same valid crops: own-notes loss with other-crop and same-crop timbre, and with other notes."
    from bass_ld.dataset import read_manifest
    items = read_manifest(data, 'valid')
    out = {}
    for name in ('shipped', run):
        m = nc.NoteCodec.from_pretrained(None if name == 'shipped' else name, device='cpu')
        chk = nc.CodecCheck(nc.NoteCrops(items, 12, 8, m.stride, m.ae.cfg.sr, 0), 500, seed=0)
        out['shipped' if name == 'shipped' else 'other_crop_timbre'] = {k: round(v, 4) for k, v in chk.measure(m).items()}
    return out

if __name__ == '__main__':
    import json
    if sys.argv[1] == '--valid':
        print(json.dumps(valid_losses(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else 'data/pairs')))
    else:
        tr = nc.train_note_codec(sys.argv[3] if len(sys.argv) > 3 else 'data/pairs', sys.argv[1], 'small', init='shipped',
                                 steps=int(sys.argv[2]), device='cpu', progress=False)
        print('done', tr.step, tr.valid[-1] if tr.valid else None, flush=True)
