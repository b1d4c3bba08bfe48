-- bench/watch_fresh.lua - wrk: every request carries a hard alert never seen
-- before (a new fingerprint), so every answer waits for a new durable
-- decision (one rollback, then cooldown) - the fdatasync path.
local counter = 0
local nthreads = 0

-- runs in the main state: give each thread its own id (a global there)
function setup(thread)
	nthreads = nthreads + 1
	thread:set("thread_id", nthreads)
end

function request()
	counter = counter + 1
	local fp = string.format("%02x%014x", thread_id or 0, counter)
	local body = '{"version":"4","status":"firing","receiver":"mmops-watch-hard","groupKey":"g",' ..
		'"alerts":[{"status":"firing","labels":{"alertname":"SoakGuardTrip","gate":"hard",' ..
		'"severity":"critical","instance":"mm-' .. fp .. '"},"annotations":{"summary":"guard trip"},' ..
		'"startsAt":"2025-10-11T10:00:00Z","endsAt":"0001-01-01T00:00:00Z",' ..
		'"generatorURL":"http://prometheus:9090/graph","fingerprint":"' .. fp .. '"}]}'
	return wrk.format("POST", "/alert-hook", {["Content-Type"] = "application/json"}, body)
end
