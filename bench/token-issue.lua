-- wrk script for password token issue: POST /v3/auth/tokens with a project-scoped password body.
-- The bench builds the body with JSON.stringify (so any password is escaped correctly) and passes it in
-- BENCH_TOKEN_BODY; run by hand with e.g.
--   BENCH_TOKEN_BODY='{"auth":{...}}' wrk -t2 -c8 -d10s --latency -s bench/token-issue.lua http://127.0.0.1:5000/v3/auth/tokens
local body = os.getenv("BENCH_TOKEN_BODY")
if body == nil or body == "" then
  io.stderr:write("token-issue.lua: set BENCH_TOKEN_BODY to the JSON auth request\n")
  os.exit(2)
end

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
