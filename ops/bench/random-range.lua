-- wrk script: every request asks for one random 1 MiB range of a file of `size` bytes (first argument).
local size = 0
local chunk = 1024 * 1024

function init(args)
  size = tonumber(args[1])
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  local last = math.floor(size / chunk) - 1
  local start = math.random(0, last) * chunk
  return wrk.format("GET", nil, { ["Range"] = "bytes=" .. start .. "-" .. (start + chunk - 1) })
end

function response(status)
  if status ~= 206 then
    error("expected 206, got " .. status)
  end
end
