-- Client behaviour that needs no kernel and no server; SPLICE_TEST_CASE picks one.
package.path = vim.fs.dirname(arg[0]) .. '/?.lua;' .. package.path
local H = require('harness')

local cases = {}

function cases.lazy_commands()
  H.load_plugin()
  local commands = {}
  for _, name in ipairs({
    'SpliceAttach',
    'SpliceDetach',
    'SpliceReload',
    'SpliceReloadFile',
    'SpliceStatus',
    'SpliceKernel',
    'SpliceRun',
  }) do
    commands[name] = vim.fn.exists(':' .. name) == 2
  end
  return { commands = commands, loaded = package.loaded['splice'] ~= nil }
end

function cases.bad_options()
  H.load_plugin()
  require('splice').setup({
    python = H.env('SPLICE_TEST_PYTHON'),
    notify = 'yes',
    root_markers = { 'pyproject.toml', 42 },
    colour = 'blue',
    settings = { patchOnSave = false, logLevel = 'loud' },
  })
  local resolved = vim.lsp.config.splice
  local options = require('splice.config').options
  return {
    notifications = H.notifications,
    cmd = resolved.cmd,
    settings = resolved.settings.splice,
    notify = options.notify,
    root_markers = options.root_markers,
  }
end

function cases.status_without_client()
  H.load_plugin()
  vim.cmd.enew()
  return { statusline = require('splice').status() }
end

function cases.missing_server()
  H.load_plugin()
  require('splice').setup({ cmd = { 'splice-does-not-exist', 'lsp' } })
  vim.cmd('checkhealth splice')
  return { report = vim.api.nvim_buf_get_lines(0, 0, -1, false) }
end

function cases.run_with_unusable_python()
  H.load_plugin()
  require('splice').setup({ python = H.env('SPLICE_TEST_BAD_PYTHON') })
  local program = vim.fs.joinpath(vim.fn.getcwd(), 'program.py')
  vim.fn.writefile({ 'print(1)' }, program)
  vim.cmd.edit(program)
  vim.cmd('SpliceRun')
  return {
    notifications = H.notifications,
    windows = #vim.api.nvim_tabpage_list_wins(0),
  }
end

function cases.launch_commands()
  H.load_plugin()
  local config = require('splice.config')
  return {
    source = config.splice_source(),
    default = config.launch('run', { 'app.py' }, config.merge({})),
    python = config.launch('run', { 'app.py' }, config.merge({ python = '/venv/bin/python' })),
    module_cmd = config.launch('kernel', {}, config.merge({ cmd = { '/py/bin/python3', '-m', 'splice', 'lsp' } })),
    executable_cmd = config.launch('run', { 'app.py' }, config.merge({ cmd = { 'uv', 'run', 'splice', 'lsp' } })),
  }
end

function cases.helptags()
  local doc = H.env('SPLICE_TEST_DOC')
  vim.cmd.helptags(vim.fn.fnameescape(doc))
  local tags = {}
  for line in io.lines(vim.fs.joinpath(doc, 'tags')) do
    table.insert(tags, vim.split(line, '\t')[1])
  end
  return { tags = tags }
end

function cases.statusline_expression()
  H.load_plugin()
  vim.o.laststatus = 2
  vim.o.statusline = "%{v:lua.require'splice'.status()}[end]"
  vim.cmd.enew()
  return { rendered = vim.api.nvim_eval_statusline(vim.o.statusline, {}).str }
end

local result = cases[H.env('SPLICE_TEST_CASE')]()
H.finish(result)
