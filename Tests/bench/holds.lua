-- Holds only, for wrk: every request holds a random place of the site (POST /api/holds) from its own
-- made-up address (X-Forwarded-For through a trusted proxy), so the per-address rate limit stays on.
--
--   wrk -t2 -c64 -d10s --latency -s holds.lua http://127.0.0.1:PORT -- PLACES [HOST]
--
-- PLACES: a file of "service slot" lines; HOST: the Host header, for one comune of a `serve --comuni`.

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
setup = common.setup
done = common.done

local places = {}
local host

function init(args)
    for _, line in ipairs(common.lines(args[1])) do
        local service, slot = line:match("^(%S+)%s+(%d+)$")
        table.insert(places, "service=" .. service .. "&slot=" .. slot)
    end
    host = args[2]
    math.randomseed(104729 * (index + 1))
end

function request()
    local headers = {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["Accept"] = "application/json",
        ["X-Forwarded-For"] = common.forwardedFor(),
        ["Host"] = host,
    }
    return wrk.format("POST", "/api/holds", headers, places[math.random(#places)])
end

function response(status, headers, body)
    local key
    if status == 201 and body:match('"token"') then
        key = "held"
    else
        key = body:match('"error"%s*:%s*"([%w_]+)"') or ("unclear " .. status)
    end
    common.count(key)
end

