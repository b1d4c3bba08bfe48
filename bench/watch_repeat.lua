-- bench/watch_repeat.lua - wrk: Alertmanager re-sending the same group (a
-- hard alert and a soft one) over and over: after the first request every
-- alert is a duplicate.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"version":"4","status":"firing","receiver":"mmops-watch-hard","groupKey":"{}:{alertname=\\"SoakLatencyP95High\\"}",' ..
	'"groupLabels":{"alertname":"SoakLatencyP95High"},"commonLabels":{"gate":"hard"},"commonAnnotations":{},' ..
	'"externalURL":"http://am:9093","truncatedAlerts":0,"alerts":[' ..
	'{"status":"firing","labels":{"alertname":"SoakLatencyP95High","gate":"hard","severity":"critical","instance":"mm-1"},' ..
	'"annotations":{"summary":"Tick latency P95 above 150 ms"},"startsAt":"2025-10-11T10:00:00Z",' ..
	'"endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph","fingerprint":"5c2b0a2f3e0d1a77"},' ..
	'{"status":"firing","labels":{"alertname":"SoakWSLagHigh","gate":"soft","severity":"warning","instance":"mm-1"},' ..
	'"annotations":{"summary":"WS lag above 200 ms"},"startsAt":"2025-10-11T10:00:00Z",' ..
	'"endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph","fingerprint":"7d1e3c9a0b2f4e11"}]}'
