watch_file {{.Config}}
PATH_add {{.Bin}}
export LD_LIBRARY_PATH={{.LD}}
