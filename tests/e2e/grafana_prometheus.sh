#!/usr/bin/env bash
# tests/e2e/grafana_prometheus.sh - every expr of every panel of every
# dashboard in deploy/grafana/dashboards/ answers with data from a real
# Prometheus (Debian's, on 127.0.0.1, 1 s scrapes) scraping `mmops sim`, asked
# through the HTTP API the way Grafana asks: an instant query and a range
# query, Grafana's interval variables replaced as Grafana would.
# env: MMOPS (binary), ROOT (repo).  Last line: "N passed, N failed".
source "$(dirname "$0")/lib/common.bash"
need prometheus
need jq

start_sim sim --speed 60 || { verdict "mmops sim did not start" 1; cat "$T/sim.log"; finish "grafana prometheus"; }
sport=$PORT
pport=$(free_port)
cat >"$T/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: mm
    static_configs:
      - targets: ['127.0.0.1:$sport']
EOF
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/data" \
	--web.listen-address="127.0.0.1:$pport" --log.level=warn >"$T/prom.log" 2>&1 &
PIDS+=($!)
P=http://127.0.0.1:$pport
wait_for 30 curl -sf "$P/-/ready"
check "prometheus is ready" curl -sf "$P/-/ready" -o /dev/null

# What Grafana puts in for its interval variables (1 s scrapes: 4 x scrape for rates).
grafana_vars() { sed -e 's/\$__rate_interval/4s/g; s/\${__rate_interval}/4s/g' \
	-e 's/\$__interval/1s/g; s/\${__interval}/1s/g; s/\$__range/1m/g; s/\${__range}/1m/g'; }

# instant QUERY: the number of series that answer with a finite number.
answered() {
	curl -s --get "$P/api/v1/query" --data-urlencode "query=$1" |
		jq '[.data.result[]? | .value[1] | select(. != "NaN" and . != "+Inf" and . != "-Inf")] | length'
}

# Rates need two scrapes and a histogram a few observations: wait until the
# first panel's query that reads a rate of a histogram has data.
has_data() { [ "$(answered "$1")" -ge 1 ] 2>/dev/null; }
wait_for 60 has_data 'sum(rate(mm_tick_latency_seconds_count[5m]))'
for dash in "$ROOT"/deploy/grafana/dashboards/*.json; do
	name=${dash##*/}
	jq -r '.panels[] | . as $p | .targets[]? | "\($p.id)\t\(.refId)\t\(.expr)"' "$dash" >"$T/exprs"
	n=0
	while IFS=$'\t' read -r id ref expr; do
		n=$((n + 1))
		q=$(printf '%s' "$expr" | grafana_vars)
		# Some series (rates of rare events) need a little longer: poll, do not sleep.
		wait_for 30 has_data "$q"
		got=$(answered "$q")
		check "$name panel $id query $ref answers with data ($got series): $expr" test "${got:-0}" -ge 1
		# end a second ahead: date +%s truncates, a series just born must not be cut off
		now=$(date +%s)
		rng=$(curl -s --get "$P/api/v1/query_range" --data-urlencode "query=$q" \
			--data-urlencode "start=$((now - 20))" --data-urlencode "end=$((now + 1))" --data-urlencode "step=1" |
			jq -r '.status + " " + (.data.result | length | tostring)')
		check "$name panel $id query $ref: query_range succeeds with series ($rng)" \
			test "${rng%% *}" = success -a "${rng##* }" -ge 1
	done <"$T/exprs"
	check "$name: has queries to check ($n)" test "$n" -ge 7
done
finish "grafana prometheus"
