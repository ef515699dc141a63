-- :SpliceRun runs the buffer's file under splice with a bare interpreter (the
-- splice next to the plugin on its PYTHONPATH) in a terminal split and attaches
-- to it although autoAttach is off; a write then changes what the program does.
package.path = vim.fs.dirname(arg[0]) .. '/?.lua;' .. package.path
local H = require('harness')

H.setup({
  python = H.env('SPLICE_TEST_BARE_PYTHON'),
  cmd = H.server_cmd(),
  settings = { autoAttach = 'off' },
})
local splice = require('splice')
local file = H.env('SPLICE_TEST_FILE')
local output = vim.fs.joinpath(vim.fs.dirname(file), 'greeting.txt')
local bufnr = H.open(file)
H.wait(20000, function()
  local state = splice.state(bufnr)
  return state ~= nil and state.ready
end, 'the language server to be ready')

local function read(path)
  local stream = io.open(path)
  if not stream then
    return ''
  end
  local text = stream:read('*a')
  stream:close()
  return text
end

local started = vim.uv.hrtime()
vim.cmd('SpliceRun')
local windows = #vim.api.nvim_tabpage_list_wins(0)
local back_in_file = vim.api.nvim_get_current_buf() == bufnr
local terminal
for _, window in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
  local buffer = vim.api.nvim_win_get_buf(window)
  if vim.bo[buffer].buftype == 'terminal' then
    terminal = buffer
  end
end
assert(terminal, ':SpliceRun opened no terminal')
local pid = vim.fn.jobpid(vim.bo[terminal].channel)
H.wait(20000, function()
  return read(output) == 'hello ann'
end, 'the program to write its first greeting')
H.wait_attached(pid, 20000)
local attach_ms = (vim.uv.hrtime() - started) / 1e6
H.log(('attached %d ms after :SpliceRun'):format(attach_ms))

local patch = H.expect_patch(function()
  H.replace('"hello "', '"hi "', bufnr)
  vim.cmd.write()
end)
H.wait(10000, function()
  return read(output) == 'hi ann'
end, 'the running program to write the new greeting')
local function terminal_text()
  return table.concat(vim.api.nvim_buf_get_lines(terminal, 0, -1, false), '\n')
end
-- The terminal buffer shows the program's output a moment after it is written.
H.wait(5000, function()
  return terminal_text():find('hi ann', 1, true) ~= nil
end, 'the terminal to show the new greeting')

local connection = vim.json.decode(read(vim.fs.joinpath(H.env('SPLICE_RUNTIME_DIR'), ('kernel-%d.json'):format(pid))))
local result = {
  windows = windows,
  back_in_file = back_in_file,
  pid = pid,
  attach_ms = attach_ms,
  patch = patch,
  greeting = read(output),
  kernel_python = connection.executable,
  terminal = terminal_text(),
}
vim.fn.jobstop(vim.bo[terminal].channel)
H.finish(result)
