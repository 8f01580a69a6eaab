-- wrk script: GET one random Business ID from a list file per request, with a bearer token.
-- Usage: wrk ... -s lookup.lua <url> -- <lookup|healthz> <token> <id list file>
-- In healthz mode it does the same per-request work (random pick, wrk.format, same headers)
-- but asks /healthz, so the client's cost is the same on both sides of the ratio.

local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("thread_number", thread_count)
end

local mode, ids, count, headers

function init(args)
   mode = args[1]
   local token = args[2]
   local id_file = args[3]
   if mode ~= "lookup" and mode ~= "healthz" then
      error("first script argument must be lookup or healthz, not " .. tostring(mode))
   end
   headers = { ["Authorization"] = "Bearer " .. token }
   ids = {}
   for line in io.lines(id_file) do
      if #line > 0 then
         ids[#ids + 1] = line
      end
   end
   count = #ids
   if count == 0 then
      error("no Business IDs in " .. id_file)
   end
   math.randomseed(os.time() * 100 + (thread_number or 0))
end

function request()
   local id = ids[math.random(count)]
   if mode == "healthz" then
      return wrk.format("GET", "/healthz", headers)
   end
   return wrk.format("GET", "/api/v1/organizations/" .. id, headers)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH_SUMMARY requests=%d duration_us=%d status_errors=%d connect=%d read=%d write=%d timeout=%d\n",
      summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout))
end
