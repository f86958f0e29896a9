" Drives Vim + ALE with lsp/vim/flaglint.vim: open a file, collect diagnostics and a hover,
" apply the removal code action, write the buffer. Results go to $FLAGLINT_OUT as JSON; any
" error goes to $FLAGLINT_OUT.error and exits non-zero.
set nocompatible
let &runtimepath = $FLAGLINT_ALE . ',' . &runtimepath
filetype plugin on
let g:ale_python_flaglint_executable = $FLAGLINT_EXECUTABLE
let g:ale_python_flaglint_options = $FLAGLINT_OPTIONS
let g:ale_linters = {'python': ['flaglint']}
let g:ale_linters_explicit = 1
let g:ale_hover_to_preview = 1
let g:ale_set_signs = 0
runtime plugin/ale.vim
execute 'source ' . fnameescape($FLAGLINT_SETUP)

function! s:Wait(Condition, what) abort
    let l:start = reltime()

    while !a:Condition()
        if reltimefloat(reltime(l:start)) > 30
            throw 'timed out waiting for ' . a:what
        endif

        sleep 20m
    endwhile
endfunction

function! s:Diagnostics() abort
    return map(copy(ale#engine#GetLoclist(bufnr(''))), {_, v -> {
    \   'line': v.lnum, 'column': v.col, 'code': get(v, 'code', ''), 'message': v.text, 'source': v.linter_name,
    \}})
endfunction

function! s:Offered(data, items) abort
    let g:flaglint_offer = [a:data, a:items]
endfunction

function! s:PreviewText() abort
    for l:win in range(1, winnr('$'))
        if getwinvar(l:win, '&previewwindow')
            return join(getbufline(winbufnr(l:win), 1, '$'), "\n")
        endif
    endfor

    return ''
endfunction

function! s:Session() abort
    execute 'edit ' . fnameescape($FLAGLINT_FILE)
    ALELint
    call s:Wait({-> !empty(ale#engine#GetLoclist(bufnr('')))}, 'diagnostics')
    let l:out = {'diagnostics': s:Diagnostics()}

    call cursor(str2nr($FLAGLINT_LINE), str2nr($FLAGLINT_COLUMN))
    ALEHover
    call s:Wait({-> !empty(s:PreviewText())}, 'a hover')
    let l:out.hover = s:PreviewText()
    pclose

    call cursor(str2nr($FLAGLINT_LINE), str2nr($FLAGLINT_COLUMN))
    call ale#codefix#Execute(0, function('s:Offered'))
    call s:Wait({-> exists('g:flaglint_offer')}, 'code actions')
    let [l:data, l:items] = g:flaglint_offer
    let l:out.actions = map(copy(l:items), {_, item -> item[1].title})
    let l:chosen = filter(copy(l:items), {_, item -> item[1].title is# $FLAGLINT_ACTION})

    if empty(l:chosen)
        throw 'the removal action was not offered'
    endif

    call ale#codefix#ApplyLSPCodeAction(l:data, l:chosen[0][1])
    write
    ALELint
    call s:Wait({-> empty(filter(s:Diagnostics(), {_, d -> d.code is# 'FL003'}))}, 'diagnostics after the fix')
    let l:out.after = s:Diagnostics()
    call writefile([json_encode(l:out)], $FLAGLINT_OUT)
endfunction

try
    call s:Session()
catch
    call writefile([v:exception . ' (' . v:throwpoint . ')'], $FLAGLINT_OUT . '.error')
    cquit 1
endtry

qall!
