-- Opening a file of a running program attaches its kernel, through setup() or vim.lsp.enable().
package.path = vim.fs.dirname(arg[0]) .. '/?.lua;' .. package.path
local H = require('harness')

local mode = H.env('SPLICE_TEST_MODE')
if mode == 'enable' then
  H.load_plugin()
  vim.lsp.config('splice', { cmd = H.server_cmd() })
  vim.lsp.enable('splice')
elseif mode == 'start' then
  -- What setup() does on Neovim 0.10, which has no vim.lsp.enable.
  H.load_plugin()
  require('splice.config').set({ python = H.env('SPLICE_TEST_PYTHON') })
  require('splice')._start_on_filetype(require('splice.config').lsp_config())
else
  H.setup()
end
H.open(H.env('SPLICE_TEST_FILE'))
local state = H.wait_attached(tonumber(H.env('SPLICE_TEST_PID')))
H.finish({
  kernels = state.kernels,
  statusline = require('splice').status(),
  clients = #vim.lsp.get_clients({ name = 'splice', bufnr = 0 }),
})
