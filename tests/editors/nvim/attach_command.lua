-- :SpliceAttach offers the live kernels through vim.ui.select and attaches the one picked.
package.path = vim.fs.dirname(arg[0]) .. '/?.lua;' .. package.path
local H = require('harness')

local pid = tonumber(H.env('SPLICE_TEST_PID'))
H.setup({ settings = { autoAttach = 'off' } })
H.open(H.env('SPLICE_TEST_FILE'))
local splice = require('splice')
H.wait(20000, function()
  local state = splice.state()
  return state ~= nil and state.ready == true
end, 'the server to be ready')
local attached_before = {}
for _, kernel in ipairs(splice.state().kernels or {}) do
  if kernel.attached then
    table.insert(attached_before, kernel.pid)
  end
end

local offered = {}
vim.ui.select = function(items, opts, on_choice)
  local choice
  for _, item in ipairs(items) do
    table.insert(offered, { pid = item.pid, label = opts.format_item(item) })
    if item.pid == pid then
      choice = item
    end
  end
  on_choice(choice)
end
vim.cmd('SpliceAttach')
H.wait_attached(pid)
H.finish({ attached_before = attached_before, offered = offered })
