#!/bin/sh
# One backup, then the retention of docs/operations.md: every nightly backup for 35 days, the
# first of each month for 13 months. Copy the folder off the machine as well (the files are
# sealed to the backup key, so any storage will do): see docs/operations.md.
set -eu
dir=${KHBS_BACKUP_DIR:-/var/backups/khbs}
PATH=/opt/khbs/venv/bin:$PATH
stamp=$(date -u +%Y-%m-%dT%H%MZ)
khbs-server backup --out "$dir/khbs-$stamp.khbsbak" --json
find "$dir" -maxdepth 1 -name 'khbs-*.khbsbak' ! -name 'khbs-????-??-01T*' -mtime +35 -delete
find "$dir" -maxdepth 1 -name 'khbs-????-??-01T*.khbsbak' -mtime +400 -delete
find "$dir" -maxdepth 1 -name 'khbs-*.khbsbak.partial' -mmin +720 -delete
# Last, so a failure here never stops the pruning: the progress counts' per-transaction rows
# merged even on days nobody opened the console (docs/operations.md).
khbs-server fold-counts --json
