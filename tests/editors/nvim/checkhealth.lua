-- :checkhealth splice with the server running and a kernel attached.
package.path = vim.fs.dirname(arg[0]) .. '/?.lua;' .. package.path
local H = require('harness')

H.setup()
H.open(H.env('SPLICE_TEST_FILE'))
H.wait_attached(tonumber(H.env('SPLICE_TEST_PID')))
vim.cmd('checkhealth splice')
H.finish({ report = vim.api.nvim_buf_get_lines(0, 0, -1, false) })
