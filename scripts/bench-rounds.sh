# Sourced by the benchmark scripts that compare servers round by round.
# Each round appends one line to a file: the baseline's figure first, then
# the others'. This machine's speed moves by ±15 % from one round to the
# next, so servers are compared within a round (seconds apart), and a run's
# ratio is the median of its rounds' ratios.

# The median, in percent, of column $1 over column 1 of the rounds in $2
# (over column $3 when given).
median_ratio() {
  awk -v c="$1" -v b="${3:-1}" '{print 100 * $c / $b}' "$2" | sort -n |
    awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m}'
}

# The best figure of column $1 over the rounds in $2.
best_round() {
  awk -v c="$1" 'BEGIN {m = 0} $c > m {m = $c} END {printf "%.0f", m}' "$2"
}

# The percentage $1 is of $2.
percent() {
  awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", 100 * a / b}'
}
