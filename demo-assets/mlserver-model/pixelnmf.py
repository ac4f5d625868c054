"""The PixelNMF pipeline in numpy, stage by stage as DISM Studio's preview engine runs it.

Stages (per lumisection, LS): preprocess -> NMF reconstruct -> loss -> multi-threshold clustering ->
combine layers (area rebinning, "keep clip") and mask -> flag by pattern -> LS filter.
The model (`PixelNMFModel.from_npz`) is read from model.npz (the model preset as JSON plus the
per-layer arrays); its keys are documented in README.md.
"""
import json

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def pattern_matrix(spec):
    """A preset pattern: explicit rows of numbers, or {"ones": [rows, cols]}."""
    if isinstance(spec, dict):
        return np.ones(tuple(spec["ones"]), dtype=np.float64)
    return np.asarray(spec, dtype=np.float64)


class Layer:
    def __init__(self, name, components, local_norm, loss_mask, cross_rows, cross_cols, min_entries):
        self.name = name
        self.components = np.asarray(components, dtype=np.float32)
        self.local_norm = np.asarray(local_norm, dtype=np.float64)
        self.loss_mask = np.asarray(loss_mask, dtype=bool)
        self.cross_rows = (int(cross_rows[0]), int(cross_rows[1]))
        self.cross_cols = (int(cross_cols[0]), int(cross_cols[1]))
        self.min_entries = float(min_entries)
        self.shape = self.local_norm.shape
        h, w = self.crop(self.local_norm).shape
        if self.components.shape[1] != h * w:
            raise ValueError(f"{name}/components has {self.components.shape[1]} columns, expected {h}*{w}={h * w} "
                             f"(the {self.shape} map without the centre cross)")

    def crop(self, maps):
        """Remove the empty centre cross (rows and columns), keeping any leading batch axis."""
        r0, r1 = self.cross_rows
        c0, c1 = self.cross_cols
        rows = np.r_[0:r0, r1:maps.shape[-2]]
        cols = np.r_[0:c0, c1:maps.shape[-1]]
        return maps[..., rows, :][..., :, cols]


class PixelNMFModel:
    def __init__(self, layers, nmf_steps, cluster, combine_min, flag_patterns, flag_threshold, filters, clip=(5.0, 1.0)):
        self.clip = clip
        self.layers = layers
        self.nmf_steps = int(nmf_steps)
        self.cluster = cluster  # [(loss_threshold, pattern, filter_threshold)]
        self.combine_min = float(combine_min)
        self.flag_patterns = flag_patterns
        self.flag_threshold = float(flag_threshold)
        self.filters = filters

    @classmethod
    def from_npz(cls, path):
        """model.npz as DISM Studio writes it: `preset_json` (the model preset, UTF-8 JSON bytes) and
        `components_<L>`, `local_norm_<L>`, `loss_mask_<L>` per preset layer (see README.md)."""
        z = np.load(path, allow_pickle=False)
        if "preset_json" not in z:
            raise KeyError(f"{path}: no 'preset_json' key (has {', '.join(sorted(z.files))})")
        preset = json.loads(bytes(np.asarray(z["preset_json"], dtype=np.uint8)).decode("utf-8"))
        filters = preset["filters"]
        layers = []
        for spec in preset["layers"]:
            n = spec["name"]
            for part in ("components", "local_norm", "loss_mask"):
                if f"{part}_{n}" not in z:
                    raise KeyError(f"{path}: missing key '{part}_{n}' for layer {n}")
            layers.append(Layer(n, z[f"components_{n}"], z[f"local_norm_{n}"], z[f"loss_mask_{n}"],
                                spec["cross"]["rows"], spec["cross"]["columns"],
                                filters.get("minEntries", {}).get(n, 0.0)))
        cluster = [(float(t["lossThreshold"]), pattern_matrix(t["pattern"]), float(t["filterThreshold"]))
                   for t in preset["thresholds"]]
        clip = preset.get("reconstructionInput") or {"max": 5, "zeroValue": 1}
        hlt = filters.get("hlt")
        return cls(
            layers,
            int(z["nmf_steps"]) if "nmf_steps" in z else 200,
            cluster,
            float(preset["combine"]["minLayers"]),
            [pattern_matrix(p) for p in preset["flagging"]["patterns"]],
            float(preset["flagging"]["threshold"]),
            {
                "oms_flags": list(filters.get("omsBooleans", [])),
                "min_pileup": filters.get("minPileup"),
                "min_hlt_rate": hlt["minRate"] if hlt else None,
            },
            clip=(float(clip["max"]), float(clip["zeroValue"])),
        )

    # ---- stages ---------------------------------------------------------------------------------

    @staticmethod
    def preprocess(layer, raw):
        x = layer.crop(np.asarray(raw, dtype=np.float64))
        norm = layer.crop(layer.local_norm).copy()
        norm[norm == 0] = -1
        x = x / norm
        x[x < 0] = 0
        with np.errstate(invalid="ignore", divide="ignore"):
            nonzero = (x != 0).sum(axis=(-2, -1), keepdims=True)
            mean = x.sum(axis=(-2, -1), keepdims=True) / nonzero
            return (x / mean).astype(np.float32)

    def reconstruct(self, layer, pre):
        x = pre.copy()
        x[x > self.clip[0]] = self.clip[0]
        x[x == 0] = self.clip[1]
        x[np.isnan(x)] = 0
        n, h, w = x.shape
        flat = x.reshape(n, h * w).astype(np.float32)
        comp = layer.components
        xh = flat @ comp.T
        hh = comp @ comp.T
        wts = np.maximum(xh, 0)
        eps = np.float32(1e-8)
        for _ in range(self.nmf_steps):
            wts = wts * (xh / (wts @ hh + eps))
        return (wts @ comp).reshape(n, h, w)

    @staticmethod
    def sqdiff(maps, pattern):
        """OpenCV TM_SQDIFF over every valid window, for a batch of maps: (n, H-ph+1, W-pw+1)."""
        win = sliding_window_view(maps, pattern.shape, axis=(-2, -1))
        return ((win - pattern) ** 2).sum(axis=(-2, -1))

    @staticmethod
    def mark_windows(match, pattern_shape, out_shape):
        """Set every pixel covered by a matching window (box dilation of the match mask)."""
        ph, pw = pattern_shape
        n = match.shape[0]
        out = np.zeros((n,) + tuple(out_shape), dtype=bool)
        for a in range(ph):
            for b in range(pw):
                out[:, a:a + match.shape[1], b:b + match.shape[2]] |= match
        return out

    def cluster_layer(self, loss):
        out = np.zeros(loss.shape, dtype=bool)
        for loss_thr, pattern, filt_thr in self.cluster:
            with np.errstate(invalid="ignore"):
                binary = (loss > loss_thr).astype(np.float64)
            match = self.sqdiff(binary, pattern) < filt_thr
            out |= self.mark_windows(match, pattern.shape, loss.shape[1:])
        return out

    @staticmethod
    def area_touch_matrix(src, dst):
        """Which source bins each destination bin covers under OpenCV INTER_AREA (weights > 1e-3)."""
        scale = src / dst
        m = np.zeros((dst, src), dtype=bool)
        for d in range(dst):
            f1 = d * scale
            f2 = f1 + scale
            s1 = int(np.ceil(f1))
            s2 = min(int(np.floor(f2)), src - 1)
            s1 = min(s1, s2)
            if s1 - f1 > 1e-3:
                m[d, s1 - 1] = True
            m[d, s1:s2] = True
            if f2 - s2 > 1e-3:
                m[d, s2] = True
        return m

    def rebin_keep_clip(self, maps, shape):
        """Area rebinning of binary maps where any destination bin touched by a 1 becomes 1."""
        ry = self.area_touch_matrix(maps.shape[-2], shape[0]).astype(np.float64)
        rx = self.area_touch_matrix(maps.shape[-1], shape[1]).astype(np.float64)
        return (ry @ np.minimum(maps.astype(np.float64), 1) @ rx.T > 0).astype(np.float32)

    def combine(self, binaries):
        target = binaries[0].shape[1:]
        combined = sum(self.rebin_keep_clip(b, target) for b in binaries)
        mask = sum(self.rebin_keep_clip((~l.crop(l.loss_mask))[None], target) for l in self.layers)
        return combined, mask, (combined >= self.combine_min) & (combined > mask)

    def flag(self, final):
        flags = np.zeros(final.shape[0], dtype=bool)
        for pattern in self.flag_patterns:
            if final.shape[1] >= pattern.shape[0] and final.shape[2] >= pattern.shape[1]:
                flags |= (self.sqdiff(final.astype(np.float64), pattern) < self.flag_threshold).any(axis=(1, 2))
        return flags

    def lumisection_filter(self, raws, metadata):
        """Per-LS pass mask and reasons. metadata: attribute name -> array (N,) (e.g. 'pileup', 'rate')."""
        n = raws[0].shape[0]
        passed = np.ones(n, dtype=bool)
        reasons = [[] for _ in range(n)]

        def fail(mask, why):
            for i in np.nonzero(mask)[0]:
                reasons[i].append(why)
            passed[mask] = False

        for layer, raw in zip(self.layers, raws):
            entries = raw.reshape(n, -1).sum(axis=1, dtype=np.float64)
            fail(~(entries > layer.min_entries), f"{layer.name} entries <= {layer.min_entries:g}")
        for name in self.filters["oms_flags"]:
            if name not in metadata:
                raise KeyError(f"OMS attribute '{name}' is needed by the lumisection filter but was not sent")
            fail(~np.asarray(metadata[name], dtype=bool), f"{name} false")
        if self.filters["min_pileup"] is not None:
            fail(~(np.asarray(metadata["pileup"], dtype=np.float64) > self.filters["min_pileup"]),
                 f"pileup <= {self.filters['min_pileup']:g}")
        if self.filters["min_hlt_rate"] is not None:
            fail(~(np.asarray(metadata["rate"], dtype=np.float64) > self.filters["min_hlt_rate"]),
                 f"HLT ZeroBias rate <= {self.filters['min_hlt_rate']:g}")
        return passed, reasons

    def run(self, raws, metadata):
        """raws: one (N, ny, nx) array per layer, in layer order. Returns every stage."""
        for layer, raw in zip(self.layers, raws):
            if tuple(raw.shape[1:]) != layer.shape:
                raise ValueError(f"input {layer.name}: maps of shape {tuple(raw.shape[1:])}, model expects {layer.shape}")
        stages = {}
        binaries = []
        for layer, raw in zip(self.layers, raws):
            pre = self.preprocess(layer, raw)
            rec = self.reconstruct(layer, pre)
            loss = (pre - rec) ** 2
            binary = self.cluster_layer(loss)
            stages[f"preprocessed_{layer.name}"] = pre
            stages[f"reconstruction_{layer.name}"] = rec
            stages[f"loss_{layer.name}"] = loss
            stages[f"loss_binary_{layer.name}"] = binary
            binaries.append(binary)
        combined, mask, final = self.combine(binaries)
        flags_before = self.flag(final)
        passed, reasons = self.lumisection_filter(raws, metadata)
        stages.update({
            "combined_loss_unmasked": combined, "loss_mask_combined": mask, "combined_binary": final,
            "flags_before_filter": flags_before, "filter_mask": passed, "flags": flags_before & passed,
            "score": final.reshape(final.shape[0], -1).sum(axis=1).astype(np.float32), "reasons": reasons,
        })
        return stages
