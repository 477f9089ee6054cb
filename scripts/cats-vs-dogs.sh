#!/usr/bin/env bash
# Cats vs dogs from scratch with the recipe of docs/results.md: trains AlexNet (keras-bn, width
# 0.25, 128 px) on DATA_DIR/train, validates every epoch on DATA_DIR/validation, keeps the best
# checkpoint, and ends by printing that checkpoint's `evaluate` lines on the validation folder
# (with --tta, then without: the second reproduces the best validation accuracy).
#
#   bash scripts/cats-vs-dogs.sh [DATA_DIR] [OUT_DIR]
#
# DATA_DIR (default ../shared/data/cats-vs-dogs) holds train/ and validation/, one subfolder per
# class. OUT_DIR (default runs/cats-vs-dogs) gets best.safetensors, last.safetensors, the history
# (json, csv) and its plots. Run after the README's set-up line (scripts/setup.sh). The same seed
# gives the same curve. ALEXNET overrides the command (default: node dist/src/node/bin/alexnet.js);
# EPOCHS and SEED override those two settings.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA_DIR="${1:-../shared/data/cats-vs-dogs}"
OUT_DIR="${2:-runs/cats-vs-dogs}"
ALEXNET="${ALEXNET:-node dist/src/node/bin/alexnet.js}"
EPOCHS="${EPOCHS:-70}"
SEED="${SEED:-42}"

for d in "$DATA_DIR/train" "$DATA_DIR/validation"; do
  [ -d "$d" ] || { echo "cats-vs-dogs.sh: no folder $d (expected DATA_DIR/train and DATA_DIR/validation)" >&2; exit 2; }
done
if [ "$ALEXNET" = "node dist/src/node/bin/alexnet.js" ] && [ ! -f dist/src/node/bin/alexnet.js ]; then
  echo "cats-vs-dogs.sh: dist/ is not built; run: bash scripts/setup.sh" >&2
  exit 2
fi

# The recipe (docs/training.md explains each flag):
#   SGD momentum 0.9, peak lr 0.05 after 3 epochs of linear warm-up, cosine to 0 per step;
#   weight decay 5e-4 on conv/linear weights only; label smoothing 0.1;
#   random resized crops (area 35-100 %, ratio 3/4-4/3) + mirror; EMA of the weights (0.998)
#   for validation and checkpoints; decoded photos cached in memory (~1.4 GB for 3000 photos);
#   no early stopping (the cosine schedule ends the run). On a 2-core machine without a GPU
#   (lavapipe) the 70 epochs take about 22 minutes.
# shellcheck disable=SC2086
$ALEXNET train --data "$DATA_DIR/train" --val "$DATA_DIR/validation" \
  --model keras-bn --width 0.25 --input-size 128 --epochs "$EPOCHS" --batch-size 32 \
  --optimizer sgd --lr 0.05 --schedule cosine --warmup-epochs 3 \
  --weight-decay 5e-4 --decay-weights-only --label-smoothing 0.1 \
  --random-crop 0.35 --ema 0.998 --cache-mb 3000 \
  --seed "$SEED" --patience 1000 --verbose 2 --out "$OUT_DIR"

echo
echo "Best checkpoint on $DATA_DIR/validation, each photo averaged with its mirror (--tta):"
# shellcheck disable=SC2086
$ALEXNET evaluate "$OUT_DIR/best.safetensors" "$DATA_DIR/validation" --tta
echo
echo "Best checkpoint on $DATA_DIR/validation:"
# shellcheck disable=SC2086
$ALEXNET evaluate "$OUT_DIR/best.safetensors" "$DATA_DIR/validation"
