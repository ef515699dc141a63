-- setup() sends `settings` untouched and the server validates it: with
-- SPLICE_TEST_SETTINGS (JSON) as the settings, collect what the server says
-- about them once it has answered a request (so it has read them).
package.path = vim.fs.dirname(arg[0]) .. '/?.lua;' .. package.path
local H = require('harness')

local settings = vim.json.decode(H.env('SPLICE_TEST_SETTINGS'))
H.setup(settings ~= vim.NIL and { settings = settings } or nil)
H.open(H.env('SPLICE_TEST_FILE'))
local splice = require('splice')
H.wait(20000, function()
  local state = splice.state()
  return state ~= nil and state.ready
end, 'the server to be ready')
local client = assert(splice.client())
-- Requests are answered in order: the settings have been read once this returns.
local response = client:request_sync(
  'workspace/executeCommand',
  { command = 'splice.listKernels', arguments = {} },
  10000
)
assert(response and not response.err, 'splice.listKernels failed')
vim.wait(500, function()
  return false
end)
H.finish({
  notifications = H.notifications,
  sent = vim.lsp.config.splice.settings.splice,
})
