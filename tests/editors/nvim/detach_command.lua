-- :SpliceDetach without an argument detaches every kernel.
package.path = vim.fs.dirname(arg[0]) .. '/?.lua;' .. package.path
local H = require('harness')

H.setup()
H.open(H.env('SPLICE_TEST_FILE'))
H.wait_attached(tonumber(H.env('SPLICE_TEST_PID')))
vim.cmd('SpliceDetach')
local splice = require('splice')
H.wait(20000, function()
  for _, kernel in ipairs(splice.state().kernels or {}) do
    if kernel.attached ~= false then
      return false
    end
  end
  return true
end, 'every kernel to be detached')
H.finish({ kernels = splice.state().kernels, statusline = splice.status() })
