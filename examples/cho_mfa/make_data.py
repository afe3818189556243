"""The fitting examples' data (docs/mfa.md): daily samples of plant.bio
(viable cells, glucose, glutamine, lactate, ammonia, titre) with Gaussian
noise of 3 % of each quantity's RMS — data.csv (the feed of the model,
350 mM glucose) and heldout.csv (250 mM, for judging fitted models) — and
sigma.txt, the matching `--sigma` arguments of `bioflux fit`.

    BIOFLUX=bioflux python3 make_data.py      # from this folder
"""
import csv
import math
import os
import random
import subprocess

bioflux = os.environ.get("BIOFLUX", "bioflux")
measured = ["Xv", "glc", "gln", "lac", "amm", "mAb"]


def daily(feed_glc):
    subprocess.run([bioflux, "run", "plant.bio", "--set", f"feed_glc={feed_glc}", "-o", "plant.csv"], check=True)
    rows = list(csv.DictReader(open("plant.csv")))
    os.remove("plant.csv")
    column = {name.split(" ")[0]: name for name in rows[0]}
    header = [column[m] for m in measured]
    samples = {}
    for row in rows:
        t = float(row[column["t"]])
        # The first row at each whole day: before that day's sample and feed.
        if t > 0 and t % 24 == 0 and t not in samples:
            samples[t] = [float(row[name]) for name in header]
    return header, samples


def write(path, header, samples, sigma, seed):
    noise = random.Random(seed)
    with open(path, "w") as out:
        out.write("t," + ",".join(header) + "\n")
        for t, values in samples.items():
            noisy = [v + s * noise.gauss(0, 1) for v, s in zip(values, sigma)]
            out.write(f"{t:g}," + ",".join(f"{x:.6g}" for x in noisy) + "\n")


header, train = daily(350)
sigma = [0.03 * math.sqrt(sum(v[k] ** 2 for v in train.values()) / len(train)) for k in range(len(measured))]
write("data.csv", header, train, sigma, seed=5)
_, heldout = daily(250)
write("heldout.csv", header, heldout, sigma, seed=6)
with open("sigma.txt", "w") as out:
    out.write(" ".join(f"--sigma {m}={s:.4g}" for m, s in zip(measured, sigma)) + "\n")
