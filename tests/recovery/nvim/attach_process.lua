-- :SpliceAttachProcess PID starts splice in a plain Python process and attaches the
-- server to it; :write then patches it. Without a pid, the processes are offered.
package.path = os.getenv('SPLICE_TEST_HARNESS') .. '/?.lua;' .. package.path
local H = require('harness')

local pid = tonumber(H.env('SPLICE_TEST_PID'))
H.setup({ settings = { autoAttach = 'off' } })
H.open(H.env('SPLICE_TEST_FILE'))
local splice = require('splice')
H.wait(20000, function()
  local state = splice.state()
  return state ~= nil and state.ready == true
end, 'the server to be ready')

vim.cmd('SpliceAttachProcess ' .. pid)
H.wait_attached(pid, 30000)
H.replace('"old body"', '"patched from nvim"')
local patch = H.expect_patch(function()
  vim.cmd.write()
end)

local offered = {}
vim.ui.select = function(items, opts, on_choice)
  for _, item in ipairs(items) do
    table.insert(offered, { pid = item.pid, label = opts.format_item(item) })
  end
  on_choice(nil)
end
vim.cmd('SpliceAttachProcess')
H.wait(10000, function()
  return #offered > 0
end, 'the list of processes')
vim.cmd('SpliceAttachProcess not-a-pid')
H.finish({ patch = patch, offered = offered, notifications = H.notifications })
