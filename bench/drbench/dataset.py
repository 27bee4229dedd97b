"""Deterministic benchmark datasets.

Guarantees: the same (name, scale, GEN_VERSION) always produces byte-identical trees, so two
runs (or two machines) measure the same input.  A manifest (relative path, size, SHA-256 of
every file) is written last; a dataset is reused only when the manifest's parameters match
and every file still has its recorded size.  SHA-256 (not a faster hash) because drorch
records SHA-256 of plain content, so a figure can be checked with `sha256sum`.

Content: half the files are log-like text (compresses ~4:1 with zstd, every line carries
random numbers so no two 1 MiB regions are alike and content-defined dedup finds nothing),
half are bytes from a seeded Mersenne Twister (incompressible).  Kinds alternate over the
size-sorted list so both halves hold about the same number of files AND bytes.

Not guaranteed: mtimes/inodes are whatever the file system gives; tools under test key
their incremental detection on them, which is fine because every round uses fresh repos.
"""
from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
import random
import shutil
import time
from dataclasses import dataclass

GEN_VERSION = 2
BLOCK = 1 << 20
LEVELS = ("INFO", "DEBUG", "WARN", "ERROR")
VERBS = ("GET", "PUT", "POST", "DELETE")


@dataclass(frozen=True)
class FileSpec:
    rel: str
    size: int
    kind: str  # "text" | "random"
    seed: int


@dataclass
class Dataset:
    name: str
    root: str  # the tree the tools back up
    files: list  # list[FileSpec]
    digests: dict  # rel -> sha256 hex

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


# ---------------------------------------------------------------- layout

def _mixed_sizes(n: int, total: int, lo: int, hi: int, rng: random.Random) -> list:
    """Log-spread sizes lo..hi summing to ~total.

    log(size) runs over [log lo, log hi] with a density falling off exponentially (rate k),
    i.e. every octave holds fewer files than the one below, like real trees; k is found by
    bisection so the sum hits the target (k≈3.7 for 2,000 files / 2 GiB: median ~24 KiB,
    ~470 files of 4–8 KiB, 16 files of 32–64 MiB).  Quantiles, not samples, so the spread
    is exact; then jittered ±3 % so no two sizes are round numbers.
    """
    span = math.log(hi / lo)

    def sizes(k: float) -> list:
        out = []
        for i in range(n):
            u = (i + 0.5) / n
            t = u if k < 1e-9 else -math.log(1 - u * (1 - math.exp(-k))) / k
            out.append(lo * math.exp(span * t))
        return out

    a, b = 0.0, 30.0
    for _ in range(60):
        mid = (a + b) / 2
        if sum(sizes(mid)) > total:
            a = mid
        else:
            b = mid
    out = [max(lo, min(hi, int(s * (0.97 + 0.06 * rng.random())))) for s in sizes(a)]
    out[0], out[-1] = lo, hi
    return out


def mixed_layout(scale: float) -> list:
    rng = random.Random(0x6D69786564)  # "mixed"
    n = max(20, round(2000 * scale))
    sizes = sorted(_mixed_sizes(n, int((2 << 30) * scale), 4 << 10, 64 << 20, rng), reverse=True)
    specs = []
    for i, size in enumerate(sizes):
        kind = "text" if i % 2 == 0 else "random"
        # nested 3 levels: 6 x 5 x 4 = 120 leaf dirs, a few files on upper levels too
        depth = rng.choice((1, 2, 3, 3, 3))
        parts = [f"d{rng.randrange(6)}", f"e{rng.randrange(5)}", f"f{rng.randrange(4)}"][:depth]
        ext = ".log" if kind == "text" else ".bin"
        specs.append(FileSpec("/".join(parts + [f"m{i:05d}{ext}"]), size, kind, rng.getrandbits(63)))
    rng.shuffle(specs)
    return specs


def small_layout(scale: float) -> list:
    rng = random.Random(0x736D616C6C)  # "small"
    n = max(100, round(100_000 * scale))
    ndirs = max(4, round(300 * min(1.0, scale * 3)))
    specs = []
    for i in range(n):
        kind = "text" if i % 2 == 0 else "random"
        d = i % ndirs
        rel = f"s{d // 20:02d}/t{d % 20:02d}/f{i:06d}{'.txt' if kind == 'text' else '.dat'}"
        specs.append(FileSpec(rel, rng.randint(1 << 10, 16 << 10), kind, rng.getrandbits(63)))
    return specs


def scale_layout(scale: float) -> list:
    """The many-files family: 1,000,000 x scale files of 1-8 KiB, 100 per leaf directory,
    leaf directories nested 4 levels deep with the same fan-out on every level (10 at
    1,000,000 files: 10,000 leaves; 6 at 100,000; 8 at 300,000), half text, half random.
    Files live only in the leaves, so the tree has ~1 tree object per 100 files plus the
    inner ones, like a large server's."""
    rng = random.Random(0x7363616C65)  # "scale"
    n = max(100, round(1_000_000 * scale))
    nleaves = max(1, n // 100)
    fanout = 2
    while fanout ** 4 < nleaves:
        fanout += 1
    specs = []
    for i in range(n):
        kind = "text" if i % 2 == 0 else "random"
        d = i % nleaves
        digits = []
        for level in "abcd":
            digits.append(f"{level}{d % fanout}")
            d //= fanout
        rel = "/".join(reversed(digits[::-1])) + f"/g{i:07d}{'.txt' if kind == 'text' else '.dat'}"
        specs.append(FileSpec(rel, rng.randint(1 << 10, 8 << 10), kind, rng.getrandbits(63)))
    return specs


LAYOUTS = {"mixed": mixed_layout, "small": small_layout, "scale": scale_layout}


# ---------------------------------------------------------------- content

def _text_block(rng: random.Random, lineno: int, want: int) -> tuple:
    lines = []
    got = 0
    bits = rng.getrandbits
    while got < want:
        x = bits(64)
        line = (f"2026-11-{1 + (lineno >> 16) % 28:02d}T{(lineno >> 12) % 24:02d}:"
                f"{(lineno >> 6) % 60:02d}:{lineno % 60:02d}.{x & 0x3FF:03d}Z "
                f"{LEVELS[x >> 62]} svc-{(x >> 12) & 15} req={(x >> 16) & 0xFFFFFFFF:08x} "
                f"{VERBS[(x >> 10) & 3]} /api/v1/items/{(x >> 20) & 0xFFFFF} "
                f"status={200 + ((x >> 40) & 3) * 100} took={(x >> 48) & 0x3FF}ms\n")
        lines.append(line)
        got += len(line)
        lineno += 1
    return "".join(lines).encode(), lineno


def content_blocks(spec: FileSpec, seed_salt: int = 0):
    """Yield the file's bytes in <= 1 MiB blocks (never the whole file in memory)."""
    rng = random.Random(spec.seed ^ seed_salt)
    left = spec.size
    lineno = rng.randrange(1 << 20)
    while left > 0:
        n = min(BLOCK, left)
        if spec.kind == "random":
            yield rng.randbytes(n)
        else:
            block, lineno = _text_block(rng, lineno, n)
            yield block[:n]
        left -= n


def write_file(root: str, spec: FileSpec) -> tuple:
    path = os.path.join(root, spec.rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    h = hashlib.sha256()
    with open(path, "wb") as f:
        for block in content_blocks(spec):
            f.write(block)
            h.update(block)
    return spec.rel, h.hexdigest()


def _write_batch(args) -> list:
    root, batch = args
    return [write_file(root, s) for s in batch]


# ---------------------------------------------------------------- manifest + generation

def _params(name: str, scale: float) -> dict:
    return {"name": name, "scale": scale, "gen_version": GEN_VERSION}


def dataset_dir(work: str, name: str, scale: float) -> str:
    return os.path.join(work, "datasets", f"{name}-s{scale:g}")


def _manifest_ok(base: str, params: dict, specs: list) -> dict | None:
    try:
        with open(os.path.join(base, "manifest.json")) as f:
            man = json.load(f)
    except (OSError, ValueError):
        return None
    if man.get("params") != params or len(man.get("files", [])) != len(specs):
        return None
    tree = os.path.join(base, "tree")
    for (rel, size, _), spec in zip(man["files"], specs):
        if rel != spec.rel or size != spec.size:
            return None
        try:
            if os.stat(os.path.join(tree, rel)).st_size != size:
                return None
        except OSError:
            return None
    return {rel: digest for rel, _, digest in man["files"]}


def prepare(work: str, name: str, scale: float, skip_generate: bool, log) -> Dataset:
    specs = LAYOUTS[name](scale)
    base = dataset_dir(work, name, scale)
    tree = os.path.join(base, "tree")
    params = _params(name, scale)
    _undo(base, tree, specs, None, log)  # an interrupted earlier run may have left changes
    digests = _manifest_ok(base, params, specs)
    if digests is not None:
        log(f"dataset {name}: reusing {tree} ({len(specs)} files, manifest ok)")
        return Dataset(name, tree, specs, digests)
    if skip_generate:
        raise SystemExit(f"--skip-generate given but dataset {name} at {tree} is missing or "
                         "does not match its manifest; run once without --skip-generate")
    log(f"dataset {name}: generating {len(specs)} files, "
        f"{sum(s.size for s in specs) / 2**30:.2f} GiB into {tree} ...")
    t0 = time.perf_counter()
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(tree)
    # batches of ~8 MiB so both cores stay busy on the big files and the small ones alike
    batches, cur, cur_bytes = [], [], 0
    for s in specs:
        cur.append(s)
        cur_bytes += s.size
        if cur_bytes >= 8 << 20 or len(cur) >= 500:
            batches.append((tree, cur))
            cur, cur_bytes = [], 0
    if cur:
        batches.append((tree, cur))
    digests = {}
    with multiprocessing.Pool(max(1, os.cpu_count() or 1)) as pool:
        for result in pool.imap_unordered(_write_batch, batches):
            digests.update(result)
    with open(os.path.join(base, "manifest.json"), "w") as f:
        json.dump({"params": params, "files": [[s.rel, s.size, digests[s.rel]] for s in specs]}, f)
    log(f"dataset {name}: generated in {time.perf_counter() - t0:.1f} s")
    return Dataset(name, tree, specs, digests)


# ---------------------------------------------------------------- the 1 % change step

def _marker(base: str) -> str:
    return os.path.join(base, "modified.json")


def modify_one_percent(ds: Dataset, log) -> dict:
    """Change ~1 % of the files in place (same inode): even picks get a 64 KiB region in the
    middle overwritten, odd picks get 256 KiB appended.  A marker file lists them first, so an
    interrupted run restores them on the next start.  Returns rel -> new sha256."""
    base = os.path.dirname(ds.root)
    rng = random.Random(0x31706374)  # "1pct"
    picks = rng.sample(range(len(ds.files)), max(1, round(len(ds.files) * 0.01)))
    specs = [ds.files[i] for i in sorted(picks)]
    with open(_marker(base), "w") as f:
        json.dump([s.rel for s in specs], f)
    changed = {}
    for j, spec in enumerate(specs):
        path = os.path.join(ds.root, spec.rel)
        patch = random.Random(spec.seed ^ 0x5A5A).randbytes(64 << 10 if j % 2 == 0 else 256 << 10)
        with open(path, "r+b") as f:
            if j % 2 == 0:
                f.seek(max(0, spec.size // 2 - len(patch) // 2))
            else:
                f.seek(0, os.SEEK_END)
            f.write(patch)
        changed[spec.rel] = sha256_file(path)
    log(f"modified {len(specs)} files in place "
        f"({sum(s.size for s in specs) / 2**20:.1f} MiB of files touched)")
    return changed


def undo_modifications(ds: Dataset, log) -> None:
    """Rewrite the files listed in the marker with their original content and check it."""
    _undo(os.path.dirname(ds.root), ds.root, ds.files, ds.digests, log)


def _undo(base: str, tree: str, specs: list, digests: dict | None, log) -> None:
    try:
        with open(_marker(base)) as f:
            rels = set(json.load(f))
    except OSError:
        return
    for spec in specs:
        if spec.rel in rels:
            rel, digest = write_file(tree, spec)
            if digests is not None and digests[rel] != digest:
                raise SystemExit(f"dataset {tree}: regenerated {rel} does not match its manifest "
                                 "(generator changed?); delete the dataset directory")
    os.remove(_marker(base))
    log(f"restored {len(rels)} modified files to their original content")


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            h.update(block)
    return h.hexdigest()
