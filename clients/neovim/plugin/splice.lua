-- User commands only; the modules behind them load on first use.
if vim.g.loaded_splice then
  return
end
vim.g.loaded_splice = true

local function command(name, action, opts)
  vim.api.nvim_create_user_command(name, function(args)
    require('splice.commands')[action](args.args)
  end, opts)
end

command(
  'SpliceAttach',
  'attach',
  { nargs = '?', complete = 'file', desc = 'splice: attach to a live kernel' }
)
command('SpliceAttachProcess', 'attach_process', {
  nargs = '?',
  desc = 'splice: start splice in a running Python process and attach to it',
})
command('SpliceDetach', 'detach', { nargs = '?', desc = 'splice: detach from a kernel (all without a pid)' })
command('SpliceReload', 'reload', { nargs = 0, desc = 'splice: patch the definition at the cursor' })
command('SpliceReloadFile', 'reload_file', { nargs = 0, desc = 'splice: patch the whole buffer' })
command('SpliceStatus', 'show_status', { nargs = 0, desc = 'splice: show kernels and the last patch' })
command('SpliceRun', 'run', {
  nargs = '?',
  complete = 'file',
  desc = 'splice: run a file (default: this one) under splice in a terminal',
})
command('SpliceKernel', 'open_kernel', { nargs = '*', desc = 'splice: open `splice kernel` in a terminal' })
