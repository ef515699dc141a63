-- :SpliceReloadFile patches the whole unsaved buffer.
package.path = vim.fs.dirname(arg[0]) .. '/?.lua;' .. package.path
local H = require('harness')

H.setup()
H.open(H.env('SPLICE_TEST_FILE'))
H.wait_attached(tonumber(H.env('SPLICE_TEST_PID')))
H.replace('"hello "', '"hi "')
H.replace('"goodbye "', '"so long "')
local patch = H.expect_patch(function()
  vim.cmd('SpliceReloadFile')
end)
H.finish({ patch = patch, modified = vim.bo.modified })
