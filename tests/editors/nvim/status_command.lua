-- :SpliceStatus lists the live kernels and the last patch.
package.path = vim.fs.dirname(arg[0]) .. '/?.lua;' .. package.path
local H = require('harness')

H.setup()
H.open(H.env('SPLICE_TEST_FILE'))
H.wait_attached(tonumber(H.env('SPLICE_TEST_PID')))
H.replace('"hello "', '"hi "')
H.expect_patch(function()
  vim.cmd.write()
end)
local seen = #H.notifications
vim.cmd('SpliceStatus')
H.wait(10000, function()
  return #H.notifications > seen
end, ':SpliceStatus to show something')
H.finish({ shown = H.notifications[#H.notifications].message })
