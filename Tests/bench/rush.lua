-- The booking rush, for wrk: every connection is a citizen who arrives within the first seconds, holds a
-- place (POST /api/holds), confirms it (POST /api/bookings) and, when the place is gone, tries one of the
-- alternatives the answer proposes, until the answer says nothing is left. Then the citizen stops asking.
--
--   wrk -t2 -c5000 -d20s --timeout 10s --latency -s rush.lua http://127.0.0.1:PORT -- PLACES PEOPLE THINK_MS
--
-- PLACES: a file of "service slot" lines (the places released); PEOPLE: a file of codici fiscali, one per
-- line, each used for one booking; THINK_MS: the longest pause of a citizen between two requests.
-- Every request comes from its own made-up address (X-Forwarded-For through a trusted proxy), so the
-- per-address rate limit stays on as in production.

local threads = {}
local counter = 0

function setup(thread)
    thread:set("index", counter)
    counter = counter + 1
    table.insert(threads, thread)
end

local places = {}
local people = {}
local nextPerson = 0
local personStep = 1
local think = 1000
local tokens = {}
local suggested = {}
local soldOut = false
counts = {}

local function lines(path)
    local result = {}
    for line in io.lines(path) do
        if line ~= "" then table.insert(result, line) end
    end
    return result
end

function init(args)
    for _, line in ipairs(lines(args[1])) do
        local service, slot = line:match("^(%S+)%s+(%d+)$")
        table.insert(places, "service=" .. service .. "&slot=" .. slot)
    end
    people = lines(args[2])
    think = tonumber(args[3]) or 1000
    nextPerson = index
    personStep = tonumber(args[4]) or 1
    math.randomseed(7919 * (index + 1))
end

local function post(path, body)
    local headers = {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["Accept"] = "application/json",
        ["X-Forwarded-For"] = string.format("10.%d.%d.%d", index, math.random(0, 255), math.random(1, 254)),
    }
    return wrk.format("POST", path, headers, body)
end

local function count(key)
    counts[key] = (counts[key] or 0) + 1
end

function delay()
    if #tokens > 0 then return math.random(0, 200) end      -- the form is filled in quickly
    if soldOut then return 60000 end                       -- told nothing is left: the citizen leaves
    return math.random(0, think)
end

function request()
    local token = table.remove(tokens, 1)
    if token then
        local person = people[(nextPerson % #people) + 1]
        nextPerson = nextPerson + personStep
        return post("/api/bookings", "hold=" .. token .. "&nome=Maria&cognome=Bianchi&codice_fiscale=" .. person ..
            "&email=maria.bianchi%40example.it&cellulare=3331234567")
    end
    local place = #suggested > 0 and table.remove(suggested, math.random(#suggested)) or places[math.random(#places)]
    return post("/api/holds", place)
end

function response(status, headers, body)
    if status == 201 then
        local token = body:match('"token"%s*:%s*"(%x+)"')
        if token then
            count("held")
            table.insert(tokens, token)
        elseif body:match('"code"%s*:%s*"(%w+)"') then
            count("booked")
        else
            count("unclear 201")
        end
        return
    end
    local code = body:match('"error"%s*:%s*"([%w_]+)"')
    local message = body:match('"message"%s*:%s*"([^"]+)"')
    if not code or not message then
        count("unclear " .. status)
        return
    end
    count(code)
    if code == "slot_full" then
        -- The citizen picks from the latest answer's proposals; none left means nothing is left.
        suggested = {}
        local alternatives = body:match('"alternatives"%s*:%s*(%b[])') or ""
        for service, slot in alternatives:gmatch('"service"%s*:%s*"([%w-]+)"%s*,%s*"slot"%s*:%s*(%d+)') do
            table.insert(suggested, "service=" .. service .. "&slot=" .. slot)
        end
        if #suggested == 0 then soldOut = true end
    end
end

function done(summary, latency, requests)
    local totals = {}
    for _, thread in ipairs(threads) do
        for key, value in pairs(thread:get("counts")) do
            totals[key] = (totals[key] or 0) + value
        end
    end
    for key, value in pairs(totals) do
        io.write(string.format("outcome %s %d\n", key, value))
    end
    for _, p in ipairs({ 50, 90, 99, 99.9 }) do
        io.write(string.format("latency p%s %.3f ms\n", p, latency:percentile(p) / 1000))
    end
    io.write(string.format("requests %d\n", summary.requests))
    local errors = summary.errors
    io.write(string.format("socket-errors connect %d read %d write %d timeout %d status %d\n",
        errors.connect, errors.read, errors.write, errors.timeout, errors.status))
end
