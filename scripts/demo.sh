#!/usr/bin/env bash
# make demo: start the suite, load the findings sample and ingest the ObliQA corpus once,
# ingest the sample's findings as audit reports (precedents), ask three questions, a data
# question and a judgement, stop.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
DATA_DIR=${ARBITER_DATA_DIR:-$(cd .. && pwd)/shared/data/obliqa}
if [ ! -f "$DATA_DIR/corpus.jsonl" ]; then
  echo "demo: no corpus at $DATA_DIR/corpus.jsonl (set ARBITER_DATA_DIR)" >&2
  exit 1
fi

# The CLI talks to the suite where make up starts it (GATEWAY_PORT, SEARCH_PORT, ...).
export ARBITER_GATEWAY=${ARBITER_GATEWAY:-127.0.0.1:${GATEWAY_PORT:-50051}}
export ARBITER_SEARCH=${ARBITER_SEARCH:-127.0.0.1:${SEARCH_PORT:-50053}}

make -s down >/dev/null 2>&1 || true
make -s up
trap 'make -s down' EXIT

echo; echo "== findings database: the sample data (loaded once; a second load changes nothing)"
$BIN/arbiter findings load

echo; echo "== ingest (skipped when the corpus is already in the store)"
$BIN/arbiter ingest --if-empty "$DATA_DIR/corpus.jsonl"

# The same seeded sample as the findings database, one audit report per finding. Written
# anew each run (same seed, same bytes); search skips every report it already holds, so a
# second run stores nothing and takes seconds.
REPORTS=.data/finding-reports
echo; echo "== precedents: the findings as audit reports, SAMPLE DATA (invented firms citing real"
echo "   ObliQA passages), ingested as documents of type finding (unchanged ones are skipped)"
$BIN/arbiter findings reports --out "$REPORTS"
$BIN/arbiter ingest "$REPORTS"

for question in \
  "Hello there!" \
  "What must a firm do when it suspects money laundering?" \
  "What are the requirements for a Shari'a Supervisory Board's approval of a fund prospectus?"
do
  echo; echo "== arbiter ask \"$question\""
  $BIN/arbiter ask "$question"
done

# Data analysis over the sample: a table, a summary, a chart saved as PNG, the SQL shown.
question="How many findings per rulebook in 2024, and what is the trend?"
echo; echo "== arbiter ask --sql \"$question\""
$BIN/arbiter ask --sql "$question"

# Judgement: the audit SOP (facts, the rules that govern them, the check, the disposition)
# and, on a breach, the trial with precedents from the reports above.
question="A payment service provider received a written complaint on 1 June 2023 and sent its final response on 29 June 2023. Is that a breach?"
echo; echo "== arbiter ask \"$question\""
$BIN/arbiter ask "$question"
