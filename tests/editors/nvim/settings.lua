-- Settings given through vim.lsp.config reach the server: with patchOnSave off,
-- :write patches nothing, while :SpliceReload still patches.
package.path = vim.fs.dirname(arg[0]) .. '/?.lua;' .. package.path
local H = require('harness')

H.load_plugin()
vim.lsp.config('splice', { cmd = H.server_cmd(), settings = { splice = { patchOnSave = false } } })
vim.lsp.enable('splice')
H.open(H.env('SPLICE_TEST_FILE'))
H.wait_attached(tonumber(H.env('SPLICE_TEST_PID')))
H.replace('"hello "', '"hi "')
local seen = #H.statuses
vim.cmd.write()
local line = H.replace('"goodbye "', '"so long "')
vim.api.nvim_win_set_cursor(0, { line, 4 })
H.expect_patch(function()
  vim.cmd('SpliceReload')
end)
local patches = 0
for index = seen + 1, #H.statuses do
  if type(H.statuses[index].lastPatch) == 'table' then
    patches = patches + 1
  end
end
H.finish({ patches_reported = patches })
