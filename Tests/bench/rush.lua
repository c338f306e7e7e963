-- The booking rush, for wrk: every connection is a citizen who arrives within the first seconds, holds a
-- place (POST /api/holds), confirms it (POST /api/bookings) and, when the place is gone, tries one of the
-- alternatives the answer proposes, until the answer says nothing is left. Then the citizen only looks again
-- every few seconds.
--
--   wrk -t2 -c5000 -d20s --timeout 10s --latency -s rush.lua http://127.0.0.1:PORT -- PLACES PEOPLE THINK_MS
--
-- PLACES: a file of "service slot" lines (the places released); PEOPLE: a file of codici fiscali, one per
-- line, each used for one booking; THINK_MS: the longest pause of a citizen between two requests.
-- Every request comes from its own made-up address (X-Forwarded-For through a trusted proxy), so the
-- per-address rate limit stays on as in production.

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
setup = common.setup
done = common.done

local places = {}
local people = {}
local nextPerson = 0
local personStep = 1
local think = 1000
local tokens = {}
local suggested = {}
local soldOut = false
local comeBackAfter = 0

function init(args)
    for _, line in ipairs(common.lines(args[1])) do
        local service, slot = line:match("^(%S+)%s+(%d+)$")
        table.insert(places, "service=" .. service .. "&slot=" .. slot)
    end
    people = common.lines(args[2])
    think = tonumber(args[3]) or 1000
    nextPerson = index
    personStep = tonumber(args[4]) or 1
    math.randomseed(7919 * (index + 1))
end

local function post(path, body)
    local headers = {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["Accept"] = "application/json",
        ["X-Forwarded-For"] = common.forwardedFor(),
    }
    return wrk.format("POST", path, headers, body)
end

function delay()
    if comeBackAfter > 0 then
        local wait = comeBackAfter
        comeBackAfter = 0
        return wait
    end
    if #tokens > 0 then return math.random(0, math.min(200, think)) end  -- the form is filled in quickly
    -- Told nothing is left, the citizen looks again now and then, in case a place frees up (within the
    -- server's 15 s keep-alive, as a browser tab left open would).
    if soldOut then return math.random(5000, 10000) end
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
    -- Admission control: a full server answers a new hold at once to come back in Retry-After seconds (a
    -- confirmation is always admitted: it finishes a hold already granted); the citizen comes back then.
    -- (wrk's script state is per thread, not per connection: a token could not be matched to its answer.)
    local retryAfter = tonumber(headers["Retry-After"] or headers["retry-after"] or "")
    if (status == 503 or status == 429) and retryAfter then
        common.count("come_back_later")
        comeBackAfter = math.random(500, 1000) * retryAfter
        return
    end
    if status == 201 then
        local token = body:match('"token"%s*:%s*"(%x+)"')
        if token then
            common.count("held")
            table.insert(tokens, token)
        elseif body:match('"code"%s*:%s*"(%w+)"') then
            common.count("booked")
        else
            common.count("unclear 201")
        end
        return
    end
    local code = body:match('"error"%s*:%s*"([%w_]+)"')
    local message = body:match('"message"%s*:%s*"([^"]+)"')
    if not code or not message then
        common.count("unclear " .. status)
        return
    end
    common.count(code)
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

