-- :SpliceRun with a bare interpreter, then :SpliceEval shows the value as virtual
-- text (its print stays out of the program's terminal) and hover is live.
package.path = vim.fs.dirname(arg[0]) .. '/?.lua;' .. package.path
local H = require('harness')

H.setup({
  python = H.env('SPLICE_TEST_BARE_PYTHON'),
  cmd = H.server_cmd(),
  settings = { autoAttach = 'off' },
})
local splice = require('splice')
local bufnr = H.open(H.env('SPLICE_TEST_FILE'))
H.wait(20000, function()
  local state = splice.state(bufnr)
  return state ~= nil and state.ready
end, 'the language server to be ready')

vim.cmd('SpliceRun')
local terminal
for _, window in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
  local buffer = vim.api.nvim_win_get_buf(window)
  if vim.bo[buffer].buftype == 'terminal' then
    terminal = buffer
  end
end
assert(terminal, ':SpliceRun opened no terminal')
local pid = vim.fn.jobpid(vim.bo[terminal].channel)
H.wait_attached(pid, 20000)
local function terminal_text()
  return table.concat(vim.api.nvim_buf_get_lines(terminal, 0, -1, false), '\n')
end
H.wait(10000, function()
  return terminal_text():find('hello ann', 1, true) ~= nil
end, 'the program to print its greeting')

local eval = require('splice.eval')
local last = vim.api.nvim_buf_line_count(bufnr)
vim.api.nvim_buf_set_lines(bufnr, last, last, false, { "print('from nvim'); greet('zed')" })
vim.api.nvim_set_current_buf(bufnr)
vim.api.nvim_win_set_cursor(0, { last + 1, 0 })
vim.cmd('SpliceEval')
local function virtual_text()
  local marks = vim.api.nvim_buf_get_extmarks(bufnr, eval.namespace, { last, 0 }, { last, -1 }, { details = true })
  local mark = marks[1]
  return mark and mark[4].virt_text[1][1] or ''
end
H.wait(20000, function()
  return virtual_text() ~= ''
end, 'the virtual text of :SpliceEval')

local client = splice.client(bufnr)
local hover = client:request_sync('textDocument/hover', {
  textDocument = { uri = vim.uri_from_bufnr(bufnr) },
  position = { line = H.find_line('def greet', bufnr) - 1, character = 5 },
}, 10000, bufnr)
vim.wait(300)

local result = {
  virtual_text = virtual_text(),
  output = eval.results[bufnr][last].output,
  hover = hover and hover.result and hover.result.contents.value or '',
  terminal = terminal_text(),
  pid = pid,
}
vim.fn.jobstop(vim.bo[terminal].channel)
H.finish(result)
