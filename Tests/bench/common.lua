-- What every wrk script of the benchmarks shares: thread bookkeeping, outcome counts and the report that
-- sportello-bench reads (lines "outcome KEY N", "latency pP MS", "requests N", "socket-errors ...").
-- Loaded with dofile from each script; `counts` and `index` are globals of each wrk thread.

local common = {}
local threads = {}
local counter = 0
counts = {}

function common.setup(thread)
    thread:set("index", counter)
    counter = counter + 1
    table.insert(threads, thread)
end

function common.count(key)
    counts[key] = (counts[key] or 0) + 1
end

-- A made-up client address per request, forwarded by the trusted proxy: the per-address limit stays on.
function common.forwardedFor()
    return string.format("10.%d.%d.%d", index, math.random(0, 255), math.random(1, 254))
end

function common.lines(path)
    local result = {}
    for line in io.lines(path) do
        if line ~= "" then table.insert(result, line) end
    end
    return result
end

function common.done(summary, latency, requests)
    local totals = {}
    for _, thread in ipairs(threads) do
        for key, value in pairs(thread:get("counts")) do totals[key] = (totals[key] or 0) + value end
    end
    for key, value in pairs(totals) do io.write(string.format("outcome %s %d\n", key, value)) end
    for _, p in ipairs({ 50, 90, 99, 99.9 }) do
        io.write(string.format("latency p%s %.3f ms\n", p, latency:percentile(p) / 1000))
    end
    io.write(string.format("requests %d\n", summary.requests))
    local errors = summary.errors
    io.write(string.format("socket-errors connect %d read %d write %d timeout %d status %d\n",
        errors.connect, errors.read, errors.write, errors.timeout, errors.status))
end

return common
