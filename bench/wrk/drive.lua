-- One wrk script for every path the bench drives, configured through the environment:
--   BENCH_COOKIE        Cookie header for plain GETs (one logged-in user)
--   BENCH_ROTATE_FILE   GETs: one path per line, taken in turn (many cases, not one hot one)
--   BENCH_PAIRS_FILE    POSTs: "user<TAB>path<TAB>body" lines, each sent once and in order
--   BENCH_USERS_FILE    for POSTs: "cookie<TAB>csrftoken" per user, line 1 = user 0
--   BENCH_HTMX          "1" adds HX-Request: true (the submit returns the reveal fragment)
-- done() prints one JSON line starting with BENCHJSON that bench/run.py reads: latency
-- percentiles, request counts and statuses summed over every thread.

local threads = {}
local thread_count = 0

function setup(thread)
   thread:set("index", thread_count)
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

local function read_lines(name)
   local lines = {}
   if not name or name == "" then return lines end
   local file = assert(io.open(name, "r"))
   for line in file:lines() do
      if line ~= "" then table.insert(lines, line) end
   end
   file:close()
   return lines
end

local function split_tabs(line)
   local parts = {}
   for part in string.gmatch(line, "([^\t]*)\t?") do
      table.insert(parts, part)
   end
   return parts
end

function init(args)
   -- Every thread starts at its own slot and strides by the thread count, so no two
   -- threads ever send the same POST line.
   position = index
   stride = tonumber(os.getenv("BENCH_THREADS") or "1")
   cookie = os.getenv("BENCH_COOKIE") or ""
   htmx = os.getenv("BENCH_HTMX") == "1"
   rotate = read_lines(os.getenv("BENCH_ROTATE_FILE"))
   pairs_ = {}
   for _, line in ipairs(read_lines(os.getenv("BENCH_PAIRS_FILE"))) do
      local p = split_tabs(line)
      table.insert(pairs_, {user = tonumber(p[1]), path = p[2], body = p[3]})
   end
   users = {}
   for _, line in ipairs(read_lines(os.getenv("BENCH_USERS_FILE"))) do
      local p = split_tabs(line)
      table.insert(users, {cookie = p[1], csrf = p[2]})
   end
   sent, wrapped = 0, 0
   s2, s3, s4, s5 = 0, 0, 0, 0
end

function request()
   sent = sent + 1
   if #pairs_ > 0 then
      local slot = position % #pairs_
      if position >= #pairs_ then wrapped = wrapped + 1 end
      position = position + stride
      local item = pairs_[slot + 1]
      local user = users[item.user + 1]
      local headers = {
         ["Cookie"] = user.cookie,
         ["X-CSRFToken"] = user.csrf,
         ["Content-Type"] = "application/x-www-form-urlencoded",
      }
      if htmx then headers["HX-Request"] = "true" end
      return wrk.format("POST", item.path, headers, item.body)
   end
   local headers = {["Cookie"] = cookie}
   if htmx then headers["HX-Request"] = "true" end
   if #rotate > 0 then
      local path = rotate[(position % #rotate) + 1]
      position = position + stride
      return wrk.format("GET", path, headers)
   end
   return wrk.format("GET", nil, headers)
end

function response(status, headers, body)
   if status >= 500 then s5 = s5 + 1
   elseif status >= 400 then s4 = s4 + 1
   elseif status >= 300 then s3 = s3 + 1
   else s2 = s2 + 1 end
end

function done(summary, latency, requests)
   local totals = {s2 = 0, s3 = 0, s4 = 0, s5 = 0, wrapped = 0, sent = 0}
   for _, thread in ipairs(threads) do
      for key, _ in pairs(totals) do
         totals[key] = totals[key] + (thread:get(key) or 0)
      end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCHJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
      '"max_us": %d, "s2xx": %d, "s3xx": %d, "s4xx": %d, "s5xx": %d, "wrapped": %d, "sent": %d, ' ..
      '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, totals.s2, totals.s3, totals.s4, totals.s5,
      totals.wrapped, totals.sent, e.connect, e.read, e.write, e.timeout))
end
