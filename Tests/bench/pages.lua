-- Static pages, for wrk: GETs of random pages of the generated site, as a browser asks for them
-- (gzip accepted), to compare nginx and `sportello serve` on the same output/.
--
--   wrk -t2 -c64 -d10s --latency -s pages.lua http://127.0.0.1:PORT -- PATHS
--
-- PATHS: a file of URL paths, one per line.

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
setup = common.setup
done = common.done

local paths = {}

function init(args)
    paths = common.lines(args[1])
    math.randomseed(15485863 * (index + 1))
end

function request()
    return wrk.format("GET", paths[math.random(#paths)], { ["Accept-Encoding"] = "gzip" })
end

function response(status, headers, body)
    common.count(tostring(status))
end

