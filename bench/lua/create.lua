-- create.lua - wrk script for bench/cases/create_durable.sh.
--
-- Arguments (after `--`): the thread ids to create messages in, used in turn. Each wrk
-- thread keeps the ids of the messages answered with 200; done() adds up all threads,
-- prints "create: ..." summary lines and writes the ids, one a line, to the file named by
-- the environment variable BENCH_ACKED_FILE.

wrk.method = "POST"
wrk.body = '{"role":"user","content":"hello"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer x"
wrk.headers["OpenAI-Beta"] = "assistants=v2"

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	paths = {}
	for i, tid in ipairs(args) do
		paths[i] = "/v1/threads/" .. tid .. "/messages"
	end
	next_path = 0
	acked = 0
	other = 0
	noid = 0
	ids = {}
end

function request()
	next_path = next_path % #paths + 1
	return wrk.format(nil, paths[next_path])
end

function response(status, headers, body)
	if status ~= 200 then
		other = other + 1
		return
	end
	acked = acked + 1
	local id = string.match(body, '"id"%s*:%s*"(msg_[^"]*)"')
	if id then
		ids[#ids + 1] = id
	else
		noid = noid + 1
	end
end

function done(summary, latency, requests)
	local total_acked, total_other, total_noid = 0, 0, 0
	local f = assert(io.open(os.getenv("BENCH_ACKED_FILE"), "w"))
	for _, t in ipairs(threads) do
		total_acked = total_acked + t:get("acked")
		total_other = total_other + t:get("other")
		total_noid = total_noid + t:get("noid")
		for _, id in ipairs(t:get("ids")) do
			f:write(id, "\n")
		end
	end
	f:close()
	local seconds = summary.duration / 1e6
	io.write(string.format("create: acked %d\n", total_acked))
	io.write(string.format("create: other %d\n", total_other))
	io.write(string.format("create: noid %d\n", total_noid))
	io.write(string.format("create: rate %.1f\n", total_acked / seconds))
	io.write(string.format("create: p99_ms %.2f\n", latency:percentile(99) / 1000))
end
