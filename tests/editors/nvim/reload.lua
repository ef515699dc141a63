-- :SpliceReload sends the definition at the cursor from the unsaved buffer, and nothing else.
package.path = vim.fs.dirname(arg[0]) .. '/?.lua;' .. package.path
local H = require('harness')

H.setup()
H.open(H.env('SPLICE_TEST_FILE'))
H.wait_attached(tonumber(H.env('SPLICE_TEST_PID')))
H.replace('"goodbye "', '"so long "')
local line = H.replace('"hello "', '"hi "')
vim.api.nvim_win_set_cursor(0, { line, 4 })
local patch = H.expect_patch(function()
  vim.cmd('SpliceReload')
end)
H.finish({ patch = patch, modified = vim.bo.modified })
