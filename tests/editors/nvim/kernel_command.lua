-- :SpliceKernel opens a terminal split running `splice kernel`, which writes its connection file.
package.path = vim.fs.dirname(arg[0]) .. '/?.lua;' .. package.path
local H = require('harness')

H.setup()
local runtime_dir = H.env('SPLICE_RUNTIME_DIR')
vim.cmd('SpliceKernel')
local connection
H.wait(20000, function()
  for name in vim.fs.dir(runtime_dir) do
    if name:match('^kernel%-%d+%.json$') then
      local file = io.open(vim.fs.joinpath(runtime_dir, name))
      if file then
        local ok, data = pcall(vim.json.decode, file:read('*a'))
        file:close()
        connection = ok and data or nil
        return connection ~= nil
      end
    end
  end
  return false
end, 'the kernel connection file')
local result = {
  buftype = vim.bo.buftype,
  windows = #vim.api.nvim_tabpage_list_wins(0),
  job_pid = vim.fn.jobpid(vim.b.terminal_job_id),
  kernel_pid = connection.pid,
  kernel_python = connection.executable,
}
vim.fn.jobstop(vim.b.terminal_job_id)
H.finish(result)
