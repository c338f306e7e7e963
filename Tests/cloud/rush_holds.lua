-- The rush of Tests/cloud/measure_rush_beside.py, for wrk: every request holds a random place of one comune
-- (POST /api/holds with that comune's Host) of a `serve --comuni`.
--
--   wrk -t1 -c128 -d10s -s rush_holds.lua http://127.0.0.1:PORT -- PLACES HOST
--
-- PLACES: a file of "service slot" lines; HOST: the comune's host name.

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../bench/common.lua")
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
        ["Host"] = host,
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["Accept"] = "application/json",
    }
    return wrk.format("POST", "/api/holds", headers, places[math.random(#places)])
end

function response(status, headers, body)
    local key
    if status == 201 and body:match('"token"') then
        key = "held"
    elseif status == 503 then
        key = "busy_503"
    else
        key = body:match('"error"%s*:%s*"([%w_]+)"') or ("unclear " .. status)
    end
    common.count(key)
end
